import { describe, expect, it } from "vitest";
import { describeMailContract } from "../../contracts/mail.contract.ts";
import { describeResponseActionsContract } from "../../contracts/response-actions.contract.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { graphHarness } from "./testing/harness.ts";

describeMailContract("graph", async () => {
  const h = await graphHarness();
  return { port: h.mail, fixture: FIXTURE, teardown: h.close };
});

describeResponseActionsContract("graph", async () => {
  const h = await graphHarness();
  return { port: h.actions, fixture: FIXTURE, teardown: h.close };
});

describe("graph contract deviations", () => {
  it("lists the fixture rule with every field but its creation time, which Graph does not keep", async () => {
    const h = await graphHarness();
    try {
      expect(await h.mail.listInboxRules(FIXTURE.rule.mailbox)).toEqual([
        { ...FIXTURE.rule, createdAt: null },
      ]);
    } finally {
      await h.close();
    }
  });
});
