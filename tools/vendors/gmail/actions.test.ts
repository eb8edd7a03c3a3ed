import { afterEach, describe, expect, it } from "vitest";
import { isToolError } from "../../../core/errors.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { jsonOf } from "../../testing/fake-http.ts";
import { proposedActionSchema, type ProposedActionInput } from "../../../core/domain.ts";
import type { GmailFake } from "./testing/fake.ts";
import { gmailUnderTest } from "./testing/harness.ts";
import { fixtureWorld } from "./testing/seed.ts";

let fake: GmailFake | undefined;
afterEach(async () => fake?.close());

async function setup(...args: Parameters<typeof gmailUnderTest>) {
  const t = await gmailUnderTest(...args);
  fake = t.fake;
  return t;
}

const quarantine = (extra: Partial<ProposedActionInput> = {}) =>
  proposedActionSchema.parse({
    id: "act-1",
    type: "quarantine_message",
    target: FIXTURE.messageId,
    targetKind: "message",
    blastRadius: 2,
    reason: "test",
    ...extra,
  });

const changes = (f: GmailFake) => f.requests.filter((r) => r.method === "POST" && r.path !== "/token");
const labelsOf = (f: GmailFake, mailbox: string, id: string) =>
  f.world.mailboxes.get(mailbox)?.find((m) => m.id === id)?.labelIds;

describe("Gmail quarantine", () => {
  it("moves every copy in every configured mailbox to Trash, each with its mailbox's token", async () => {
    const { actions, fake } = await setup();
    expect(await actions.execute(quarantine(), { idempotencyKey: "k1" })).toEqual({
      outcome: "executed",
      detail: `moved 2 copies of ${FIXTURE.messageId} to Trash`,
    });
    expect(
      changes(fake)
        .map((r) => r.path)
        .sort(),
    ).toEqual([
      "/gmail/v1/users/ann%40corp.test/messages/m-1/trash",
      "/gmail/v1/users/bob%40corp.test/messages/m-2/trash",
    ]);
    expect(labelsOf(fake, "ann@corp.test", "m-1")).toEqual(["TRASH"]);
    expect(labelsOf(fake, "ann@corp.test", "m-3")).toEqual(["INBOX", "UNREAD"]);
    const [ann, bob] = ["ann%40", "bob%40"].map(
      (m) => changes(fake).find((r) => r.path.includes(m))?.headers.authorization,
    );
    expect(ann).not.toBe(bob);
  });

  it("counts copies already in Trash as done, moving only the rest", async () => {
    const world = fixtureWorld();
    const bobs = world.mailboxes.get("bob@corp.test")?.[0];
    if (bobs) bobs.labelIds = ["TRASH"];
    const { actions, fake } = await setup({ world });
    expect((await actions.execute(quarantine(), { idempotencyKey: "k1" })).detail).toBe(
      `moved 1 copy of ${FIXTURE.messageId} to Trash (1 already there)`,
    );
    expect(changes(fake)).toHaveLength(1);
    expect(await actions.execute(quarantine(), { idempotencyKey: "k2" })).toEqual({
      outcome: "already_done",
      detail: `2 copies of ${FIXTURE.messageId} already in Trash`,
    });
  });

  it("in label mode, creates the label once per mailbox, files each copy under it and out of the inbox", async () => {
    const { actions, mail, fake } = await setup({}, { quarantine: { mode: "label" } });
    expect((await actions.execute(quarantine(), { idempotencyKey: "k1" })).detail).toBe(
      `moved 2 copies of ${FIXTURE.messageId} to Quarantine`,
    );
    const created = changes(fake).filter((r) => r.path.endsWith("/labels"));
    expect(created.map((r) => jsonOf(r))).toEqual([
      { name: "Quarantine", labelListVisibility: "labelShow", messageListVisibility: "show" },
      { name: "Quarantine", labelListVisibility: "labelShow", messageListVisibility: "show" },
    ]);
    const modify = changes(fake).find((r) => r.path.endsWith("/m-1/modify"));
    expect(jsonOf(modify!)).toEqual({ addLabelIds: ["Label_7"], removeLabelIds: ["INBOX"] });
    const copies = await mail.findMessages({ messageId: FIXTURE.messageId, limit: 10 });
    expect(copies.map((m) => m.folder)).toEqual(["Quarantine", "Quarantine"]);
    expect((await actions.execute(quarantine(), { idempotencyKey: "k2" })).outcome).toBe("already_done");
    expect(changes(fake).filter((r) => r.path.endsWith("/labels"))).toHaveLength(2);
  });

  it("answers NOT_FOUND when no configured mailbox holds the message, and changes nothing", async () => {
    const { actions, fake } = await setup();
    const error = await actions
      .execute(quarantine({ target: "<none@nowhere.test>" }), { idempotencyKey: "g" })
      .catch((e: unknown) => e);
    expect(isToolError(error) && [error.code, error.message]).toEqual([
      "NOT_FOUND",
      "gmail: no copy of <none@nowhere.test> in the 2 configured mailboxes",
    ]);
    expect(changes(fake)).toEqual([]);
  });

  it("supports quarantine only", async () => {
    const { actions, fake } = await setup();
    expect(actions.supports("quarantine_message")).toBe(true);
    for (const type of ["block_sender", "remove_inbox_rule", "delete_mailbox", "isolate_host"] as const)
      expect(actions.supports(type)).toBe(false);
    const error = await actions
      .execute(quarantine({ type: "delete_mailbox", target: "bob@corp.test", targetKind: "mailbox" }), {
        idempotencyKey: "x",
      })
      .catch((e: unknown) => e);
    expect(isToolError(error) && error.code).toBe("UNSUPPORTED");
    expect(fake.requests).toEqual([]);
  });
});

describe("Gmail filter removal", () => {
  const SETTINGS = {
    auth: {
      type: "service_account",
      scopes: [
        "https://www.googleapis.com/auth/gmail.modify",
        "https://www.googleapis.com/auth/gmail.settings.basic",
      ],
    },
  };
  const remove = (target: string, params: Record<string, unknown> = {}) =>
    quarantine({ type: "remove_inbox_rule", target, targetKind: "mailbox", params });

  it("finds the filter's mailbox, deletes it there, and reports already_done after", async () => {
    const { actions, fake } = await setup({}, SETTINGS);
    expect(actions.supports("remove_inbox_rule")).toBe(true);
    expect(await actions.execute(remove("r-1"), { idempotencyKey: "k1" })).toEqual({
      outcome: "executed",
      detail: "removed Gmail filter r-1 from bob@corp.test",
    });
    expect(fake.requests.filter((r) => r.method === "DELETE").map((r) => r.path)).toEqual([
      "/gmail/v1/users/bob%40corp.test/settings/filters/r-1",
    ]);
    expect(fake.world.filters.get("bob@corp.test")).toEqual([]);
    expect((await actions.execute(remove("r-1"), { idempotencyKey: "k2" })).outcome).toBe("already_done");
  });

  it("asks only the mailbox the parameters name", async () => {
    const { actions, fake } = await setup({}, SETTINGS);
    await actions.execute(remove("r-1", { mailbox: "BOB@corp.test" }), { idempotencyKey: "k1" });
    expect(fake.requests.some((r) => r.path.includes("ann%40"))).toBe(false);
    // Filter ids belong to a mailbox: ann never had r-1, whatever was removed from bob.
    const ghost = await actions
      .execute(remove("r-1", { mailbox: "ann@corp.test" }), { idempotencyKey: "k2" })
      .catch((e: unknown) => e);
    expect(isToolError(ghost) && [ghost.code, ghost.message]).toEqual([
      "NOT_FOUND",
      "gmail: no Gmail filter r-1 in ann@corp.test",
    ]);
  });

  it("leaves automatic forwarding alone (it needs another scope) and refuses hostile ids without a request", async () => {
    const { actions, fake } = await setup({}, SETTINGS);
    const forwarding = await actions
      .execute(remove("auto-forwarding"), { idempotencyKey: "a" })
      .catch((e: unknown) => e);
    expect(isToolError(forwarding) && forwarding.code).toBe("UNSUPPORTED");
    const hostile = await actions
      .execute(remove("../../profile"), { idempotencyKey: "h" })
      .catch((e: unknown) => e);
    expect(isToolError(hostile) && hostile.code).toBe("NOT_FOUND");
    expect(fake.requests).toEqual([]);
  });
});
