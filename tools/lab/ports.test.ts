import { describe, expect, it } from "vitest";
import { describeAlertSourceContract } from "../contracts/alert-source.contract.ts";
import { describeEdrContract } from "../contracts/edr.contract.ts";
import { describeIdentityContract } from "../contracts/identity.contract.ts";
import { describeIntelContract } from "../contracts/intel.contract.ts";
import { describeMailContract } from "../contracts/mail.contract.ts";
import { describeResponseActionsContract } from "../contracts/response-actions.contract.ts";
import { describeSiemContract } from "../contracts/siem.contract.ts";
import { mailboxMessageSchema } from "../types.ts";
import { createLabToolset } from "./ports.ts";
import { createFixtureLab } from "./testing/fixture.ts";

function labPort<K extends "alerts" | "siem" | "edr" | "mail" | "identity" | "intel" | "actions">(key: K) {
  return async () => {
    const db = createFixtureLab();
    return {
      port: createLabToolset(db)[key],
      teardown: () => {
        db.close();
      },
    };
  };
}

describeAlertSourceContract("lab", labPort("alerts"));
describeSiemContract("lab", labPort("siem"));
describeEdrContract("lab", labPort("edr"));
describeMailContract("lab", labPort("mail"));
describeIdentityContract("lab", labPort("identity"));
describeIntelContract("lab", labPort("intel"));
describeResponseActionsContract("lab", labPort("actions"));

describe("lab responder effects", () => {
  it("quarantine moves every copy, and the lab never deletes mailboxes", async () => {
    const db = createFixtureLab();
    const tools = createLabToolset(db);
    await tools.actions.execute(
      {
        id: "a",
        type: "quarantine_message",
        target: "<fx-1@evil.test>",
        targetKind: "message",
        reason: "",
        blastRadius: 2,
        targetTags: [],
        params: {},
        evidenceIds: [],
      },
      { idempotencyKey: "q" },
    );
    const copies = await tools.mail.findMessages({ messageId: "<fx-1@evil.test>", limit: 10 });
    expect(copies.map((m) => mailboxMessageSchema.parse(m).folder)).toEqual(["Quarantine", "Quarantine"]);
    expect(tools.actions.supports("delete_mailbox")).toBe(false);
    db.close();
  });
});
