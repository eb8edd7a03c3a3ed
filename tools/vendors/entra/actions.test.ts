import { afterEach, describe, expect, it } from "vitest";
import { isToolError } from "../../../core/errors.ts";
import { jsonOf } from "../../testing/fake-http.ts";
import { actionTypeSchema, proposedActionSchema, type ProposedActionInput } from "../../../core/domain.ts";
import { entraHarness, type EntraHarness } from "./testing/harness.ts";

let h: EntraHarness;
afterEach(async () => h?.close());

const action = (a: Omit<ProposedActionInput, "id" | "blastRadius" | "reason" | "targetKind">) =>
  proposedActionSchema.parse({ id: "act-1", blastRadius: 1, reason: "test", targetKind: "user", ...a });
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (e: unknown) => (isToolError(e) ? e : null),
  );
const bob = () => h.server.state.users.find((u) => u.doc.id === "u-1")!.doc;
const writes = () => h.server.requests.filter((r) => r.method !== "GET" && !r.path.endsWith("/token"));

describe("entra actions", () => {
  it("revokes sessions with one POST, again under a new key, and NOT_FOUND for a stranger", async () => {
    h = await entraHarness();
    const before = bob().signInSessionsValidFromDateTime;
    const done = await h.actions.execute(action({ type: "revoke_sessions", target: "BOB@corp.test" }), {
      idempotencyKey: "r-1",
    });
    expect(done.outcome).toBe("executed");
    expect(done.detail).toMatch(/^revoked every refresh token and session of BOB@corp.test/);
    expect(writes().map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /v1.0/users/BOB%40corp.test/revokeSignInSessions",
    ]);
    expect(bob().signInSessionsValidFromDateTime).not.toBe(before);
    expect(
      (
        await h.actions.execute(action({ type: "revoke_sessions", target: "bob@corp.test" }), {
          idempotencyKey: "r-2",
        })
      ).outcome,
    ).toBe("executed");
    const ghost = await failure(
      h.actions.execute(action({ type: "revoke_sessions", target: "ghost@corp.test" }), {
        idempotencyKey: "g",
      }),
    );
    expect(ghost?.code).toBe("NOT_FOUND");
    expect(ghost?.message).toMatch(/Request_ResourceNotFound/);
  });

  it("disables an enabled account with a PATCH after reading it, and leaves a disabled one alone", async () => {
    h = await entraHarness();
    const disable = action({ type: "disable_user", target: "bob@corp.test" });
    expect(await h.actions.execute(disable, { idempotencyKey: "d-1" })).toEqual({
      outcome: "executed",
      detail: "disabled the account of bob@corp.test: no new sign-ins; revoke sessions to end current ones",
    });
    expect(writes().map((r) => [r.method, r.path, jsonOf(r)])).toEqual([
      ["PATCH", "/v1.0/users/bob%40corp.test", { accountEnabled: false }],
    ]);
    expect(bob().accountEnabled).toBe(false);
    expect((await h.actions.execute(disable, { idempotencyKey: "d-2" })).outcome).toBe("already_done");
    expect(writes()).toHaveLength(1);
    const ghost = await failure(
      h.actions.execute(action({ type: "disable_user", target: "ghost@corp.test" }), { idempotencyKey: "g" }),
    );
    expect([ghost?.code, ghost?.message]).toEqual([
      "NOT_FOUND",
      "entra: no user ghost@corp.test in the directory",
    ]);
  });

  it("passes a refused change through with Graph's reason and frees the key for a retry", async () => {
    h = await entraHarness();
    h.server.inject(
      {
        status: 400,
        body: {
          error: {
            code: "Request_BadRequest",
            message:
              "Unable to update the specified properties for on-premises mastered Directory Sync objects",
          },
        },
      },
      { when: (r) => r.method === "PATCH" },
    );
    const disable = action({ type: "disable_user", target: "bob@corp.test" });
    const refused = await failure(h.actions.execute(disable, { idempotencyKey: "d" }));
    expect(refused?.code).toBe("BAD_INPUT");
    expect(refused?.message).toMatch(/on-premises mastered Directory Sync objects/);
    expect((await h.actions.execute(disable, { idempotencyKey: "d" })).outcome).toBe("executed");
  });

  it("supports only revoke and disable; a password reset is refused with the reason", async () => {
    h = await entraHarness();
    expect(actionTypeSchema.options.filter((t) => h.actions.supports(t))).toEqual([
      "revoke_sessions",
      "disable_user",
    ]);
    const reset = await failure(
      h.actions.execute(action({ type: "reset_password", target: "bob@corp.test" }), { idempotencyKey: "p" }),
    );
    expect(reset?.code).toBe("UNSUPPORTED");
    expect(reset?.message).toMatch(/lets the password's holder pick the next one/);
    expect(writes()).toEqual([]);
  });
});
