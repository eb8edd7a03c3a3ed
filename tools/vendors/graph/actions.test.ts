import { afterEach, describe, expect, it } from "vitest";
import { isToolError } from "../../../core/errors.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { jsonOf } from "../../testing/fake-http.ts";
import {
  actionTypeSchema,
  mailSearchQuerySchema,
  proposedActionSchema,
  type ProposedActionInput,
} from "../../../core/domain.ts";
import { fixtureState } from "./testing/fake-state.ts";
import { graphHarness, type GraphHarness } from "./testing/harness.ts";

let h: GraphHarness;
afterEach(async () => h?.close());

const action = (a: Omit<ProposedActionInput, "id" | "blastRadius" | "reason">) =>
  proposedActionSchema.parse({ id: "act-1", blastRadius: 1, reason: "test", ...a });
const quarantine = action({ type: "quarantine_message", target: FIXTURE.messageId, targetKind: "message" });
const removeRule = (params: Record<string, unknown> = {}, target: string = FIXTURE.rule.id) =>
  action({ type: "remove_inbox_rule", target, targetKind: "mailbox", params });
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (e: unknown) => (isToolError(e) ? e : null),
  );
const copies = () => h.mail.findMessages(mailSearchQuerySchema.parse({ messageId: FIXTURE.messageId }));

describe("graph actions: quarantine_message", () => {
  it("moves every copy to Recoverable Items with immutable ids, then reports already_done", async () => {
    h = await graphHarness();
    const done = await h.actions.execute(quarantine, { idempotencyKey: "q-1" });
    expect(done).toEqual({
      outcome: "executed",
      detail: `moved 2 copies of ${FIXTURE.messageId} in 2 mailboxes to Recoverable Items (soft-deleted, restorable)`,
    });
    const moves = h.server.requests.filter((r) => r.path.endsWith("/move"));
    expect(moves.map((r) => r.path).sort()).toEqual([
      "/v1.0/users/ann%40corp.test/messages/m-1/move",
      "/v1.0/users/bob%40corp.test/messages/m-2/move",
    ]);
    for (const r of moves) {
      expect(r.method).toBe("POST");
      expect(jsonOf(r)).toEqual({ destinationId: "recoverableitemsdeletions" });
      expect(r.headers.prefer).toBe('IdType="ImmutableId"');
    }
    // Soft-deleted copies leave the mailbox-wide list, keep their ids, and still have their source.
    expect(await copies()).toEqual([]);
    expect(await h.mail.getRawMessage("ann@corp.test", "m-1")).toBe(FIXTURE.raw);
    const again = await h.actions.execute(quarantine, { idempotencyKey: "q-2" });
    expect(again).toEqual({
      outcome: "already_done",
      detail: `every copy of ${FIXTURE.messageId} (2) is already in Recoverable Items (soft-deleted, restorable)`,
    });
    expect(h.server.requests.filter((r) => r.path.endsWith("/move"))).toHaveLength(2);
  });

  it("moves only the copies not there yet when the folder is a visible one", async () => {
    h = await graphHarness({ config: { quarantineFolder: "junkemail" } });
    const state = h.server.state;
    const bob = state.mailboxes.find((m) => m.address === "bob@corp.test")!;
    const junk = bob.folders.find((f) => f.wellKnown === "junkemail")!;
    bob.messages[0]!.doc.parentFolderId = junk.id;
    const done = await h.actions.execute(quarantine, { idempotencyKey: "q" });
    expect(done.detail).toBe(
      `moved 1 copy of ${FIXTURE.messageId} in 1 mailbox to Junk Email (1 already there)`,
    );
    expect((await copies()).map((m) => [m.id, m.folder])).toEqual([
      ["m-1", "Junk Email"],
      ["m-2", "Junk Email"],
    ]);
    expect((await h.actions.execute(quarantine, { idempotencyKey: "q-again" })).outcome).toBe("already_done");
  });

  it("releases the key when a move fails, so a retry finishes the job", async () => {
    h = await graphHarness();
    h.server.inject(
      { status: 403, body: { error: { code: "ErrorAccessDenied", message: "Access is denied." } } },
      { when: (r) => r.path === "/v1.0/users/bob%40corp.test/messages/m-2/move" },
    );
    expect((await failure(h.actions.execute(quarantine, { idempotencyKey: "q" })))?.code).toBe("FORBIDDEN");
    const retry = await h.actions.execute(quarantine, { idempotencyKey: "q" });
    expect(retry.detail).toMatch(/^moved 1 copy .* in 1 mailbox/);
  });
});

describe("graph actions: remove_inbox_rule", () => {
  it("deletes the rule in the mailbox the params name, reading only that mailbox", async () => {
    h = await graphHarness();
    const done = await h.actions.execute(removeRule({ mailbox: "BOB@corp.test" }), { idempotencyKey: "r" });
    expect(done).toEqual({ outcome: "executed", detail: 'removed inbox rule "fw" from bob@corp.test' });
    const touched = h.server.requests.filter((r) => r.path.includes("/messageRules"));
    expect(touched.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /v1.0/users/bob%40corp.test/mailFolders/inbox/messageRules",
      "DELETE /v1.0/users/bob%40corp.test/mailFolders/inbox/messageRules/r-1",
    ]);
    expect(await h.mail.listInboxRules("bob@corp.test")).toEqual([]);
  });

  it("finds the rule's mailbox when the params name none; NOT_FOUND for a rule nobody has", async () => {
    h = await graphHarness();
    expect((await h.actions.execute(removeRule(), { idempotencyKey: "r" })).outcome).toBe("executed");
    expect(
      h.server.requests.filter((r) => r.method === "GET" && r.path.endsWith("/messageRules")),
    ).toHaveLength(2);
    const ghost = await failure(h.actions.execute(removeRule({}, "r-404"), { idempotencyKey: "g" }));
    expect([ghost?.code, ghost?.message]).toEqual([
      "NOT_FOUND",
      "graph: no inbox rule r-404 in the searched mailboxes",
    ]);
    // Asked again (any mailbox) after this responder removed it: already done, not an error.
    const again = await h.actions.execute(removeRule({ mailbox: "ann@corp.test" }), {
      idempotencyKey: "r-2",
    });
    expect(again).toEqual({ outcome: "already_done", detail: "inbox rule r-1 was already removed" });
  });

  it("refuses read-only rules and malformed params", async () => {
    const state = fixtureState();
    const bob = state.mailboxes.find((m) => m.address === "bob@corp.test")!;
    bob.rules[0]!.isReadOnly = true;
    h = await graphHarness({ state });
    expect((await failure(h.actions.execute(removeRule(), { idempotencyKey: "r" })))?.code).toBe(
      "UNSUPPORTED",
    );
    expect(
      (await failure(h.actions.execute(removeRule({ mailbox: 42 }), { idempotencyKey: "p" })))?.code,
    ).toBe("BAD_INPUT");
    expect(h.server.requests.filter((r) => r.method === "DELETE")).toEqual([]);
  });
});

describe("graph actions: scope", () => {
  it("supports only what Graph mail does, and says so for the rest", async () => {
    h = await graphHarness();
    const supported = actionTypeSchema.options.filter((t) => h.actions.supports(t));
    expect(supported).toEqual(["quarantine_message", "remove_inbox_rule"]);
    const other = action({ type: "block_sender", target: "ap@evil.test", targetKind: "sender" });
    expect((await failure(h.actions.execute(other, { idempotencyKey: "b" })))?.code).toBe("UNSUPPORTED");
  });
});
