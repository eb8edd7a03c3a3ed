import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isToolError } from "../../core/errors.ts";
import type { LabFixture } from "../lab/testing/fixture.ts";
import {
  actionTypeSchema,
  proposedActionSchema,
  responseOutcomeSchema,
  type ActionType,
  type ProposedAction,
  type ProposedActionInput,
} from "../../core/domain.ts";
import { type ResponseActions } from "../../core/ports.ts";
import type { ContractSetup } from "./types.ts";

const action = (a: Omit<ProposedActionInput, "id" | "blastRadius" | "reason">) =>
  proposedActionSchema.parse({ id: "act-1", blastRadius: 1, reason: "contract test", ...a });

/** One action per type the fixture can aim at, and a target of that type that does not exist. */
function samples(
  fixture: LabFixture,
): Array<{ type: ActionType; real: ProposedAction; ghost: ProposedAction | null }> {
  const { unknown } = fixture;
  const pair = (
    type: ActionType,
    targetKind: ProposedActionInput["targetKind"],
    real: string,
    ghost: string | null,
  ) => ({
    type,
    real: action({ type, target: real, targetKind }),
    ghost: ghost === null ? null : action({ type, target: ghost, targetKind }),
  });
  return [
    pair("isolate_host", "host", fixture.host.hostname, unknown.hostname),
    pair("quarantine_message", "message", fixture.messageId, unknown.messageId),
    pair("revoke_sessions", "user", fixture.user.userPrincipalName, unknown.user),
    pair("disable_user", "user", fixture.user.userPrincipalName, unknown.user),
    pair("remove_inbox_rule", "mailbox", fixture.rule.id, unknown.ruleId),
    pair("block_ip", "ip", "45.1.2.3", null),
  ];
}

/**
 * Every ResponseActions, over the action types it supports: idempotent on the key, also under a race; a
 * repeat under a new key is done again or reported as already done, never an error; NOT_FOUND for a target
 * that does not exist, without spending the key. Each test gets a fresh port, so targets start untouched.
 */
export function describeResponseActionsContract(
  name: string,
  setup: () => Promise<ContractSetup<ResponseActions>>,
): void {
  describe(`ResponseActions contract: ${name}`, () => {
    let ctx: ContractSetup<ResponseActions>;
    beforeEach(async () => {
      ctx = await setup();
    });
    afterEach(async () => ctx.teardown?.());

    const supported = () => samples(ctx.fixture).filter((s) => ctx.port.supports(s.type));
    const execute = async (a: ProposedAction, idempotencyKey: string) =>
      responseOutcomeSchema.parse(await ctx.port.execute(a, { idempotencyKey }));
    const failure = (a: ProposedAction, idempotencyKey: string) =>
      ctx.port.execute(a, { idempotencyKey }).then(
        () => null,
        (e: unknown) => e,
      );

    it("answers supports() for every action type and supports at least one the fixture can aim at", () => {
      for (const type of actionTypeSchema.options) expect(typeof ctx.port.supports(type)).toBe("boolean");
      expect(supported().length).toBeGreaterThan(0);
    });

    it("executes once per idempotency key and reports already_done after", async () => {
      for (const { type, real } of supported()) {
        const first = await execute(real, `k-${type}`);
        const second = await execute(real, `k-${type}`);
        expect(first.outcome, type).toBe("executed");
        expect(first.detail, type).not.toBe("");
        expect(second.outcome, type).toBe("already_done");
      }
    });

    it("runs racing calls with one key once", async () => {
      const [first] = supported();
      if (!first) throw new Error("no supported action");
      const outcomes = await Promise.all([1, 2, 3].map(() => execute(first.real, "k-race")));
      expect(outcomes.filter((o) => o.outcome === "executed")).toHaveLength(1);
      expect(outcomes.filter((o) => o.outcome === "already_done")).toHaveLength(2);
    });

    it("answers a repeat under a new key with executed or already_done, never an error", async () => {
      for (const { type, real } of supported()) {
        expect((await execute(real, `k-${type}-1`)).outcome, type).toBe("executed");
        expect(["executed", "already_done"], type).toContain((await execute(real, `k-${type}-2`)).outcome);
      }
    });

    it("fails with NOT_FOUND for a target that does not exist, and the same key fails again", async () => {
      for (const { type, ghost } of supported()) {
        if (!ghost) continue;
        const error = await failure(ghost, `k-ghost-${type}`);
        expect(isToolError(error) && error.code, type).toBe("NOT_FOUND");
        const again = await failure(ghost, `k-ghost-${type}`);
        expect(isToolError(again) && again.code, type).toBe("NOT_FOUND");
      }
    });
  });
}
