import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isToolError } from "../errors.ts";
import {
  actionTypeSchema,
  proposedActionSchema,
  responseOutcomeSchema,
  type ProposedActionInput,
  type ResponseActions,
} from "../types.ts";
import type { ContractSetup } from "./types.ts";

const action = (a: Omit<ProposedActionInput, "id" | "blastRadius" | "reason">) =>
  proposedActionSchema.parse({ id: "act-1", blastRadius: 1, reason: "contract test", ...a });

/** Every ResponseActions: idempotent on the key, also under a race; NOT_FOUND for a target that does not exist. */
export function describeResponseActionsContract(
  name: string,
  setup: () => Promise<ContractSetup<ResponseActions>>,
): void {
  describe(`ResponseActions contract: ${name}`, () => {
    let ctx: ContractSetup<ResponseActions>;
    beforeAll(async () => {
      ctx = await setup();
    });
    afterAll(async () => ctx.teardown?.());

    const execute = async (a: ReturnType<typeof action>, idempotencyKey: string) =>
      responseOutcomeSchema.parse(await ctx.port.execute(a, { idempotencyKey }));
    const failure = (a: ReturnType<typeof action>, idempotencyKey: string) =>
      ctx.port.execute(a, { idempotencyKey }).then(
        () => null,
        (e: unknown) => e,
      );

    it("answers supports() for every action type", () => {
      for (const type of actionTypeSchema.options) expect(typeof ctx.port.supports(type)).toBe("boolean");
      expect(ctx.port.supports("isolate_host")).toBe(true);
    });

    it("executes once per idempotency key and reports already_done after", async () => {
      const isolate = action({ type: "isolate_host", target: ctx.fixture.host.hostname, targetKind: "host" });
      const first = await execute(isolate, "k-isolate");
      const second = await execute(isolate, "k-isolate");
      expect(first.outcome).toBe("executed");
      expect(first.detail).not.toBe("");
      expect(second.outcome).toBe("already_done");
    });

    it("runs racing calls with one key once", async () => {
      const quarantine = action({
        type: "quarantine_message",
        target: ctx.fixture.messageId,
        targetKind: "message",
      });
      const outcomes = await Promise.all([1, 2, 3].map(() => execute(quarantine, "k-race")));
      expect(outcomes.filter((o) => o.outcome === "executed")).toHaveLength(1);
      expect(outcomes.filter((o) => o.outcome === "already_done")).toHaveLength(2);
    });

    it("executes the same action again under a new key", async () => {
      const block = action({ type: "block_ip", target: "45.1.2.3", targetKind: "ip" });
      expect((await execute(block, "k-block-1")).outcome).toBe("executed");
      expect((await execute(block, "k-block-2")).outcome).toBe("executed");
    });

    it("fails with NOT_FOUND for a user, host, message or rule that does not exist", async () => {
      const { unknown } = ctx.fixture;
      const ghosts = [
        action({ type: "disable_user", target: unknown.user, targetKind: "user" }),
        action({ type: "isolate_host", target: unknown.hostname, targetKind: "host" }),
        action({ type: "quarantine_message", target: unknown.messageId, targetKind: "message" }),
        action({ type: "remove_inbox_rule", target: unknown.ruleId, targetKind: "mailbox" }),
      ];
      for (const [i, ghost] of ghosts.entries()) {
        const error = await failure(ghost, `k-ghost-${i}`);
        expect(isToolError(error) && error.code, ghost.type).toBe("NOT_FOUND");
      }
    });

    it("does not spend the key on a failure, so the same key fails again rather than reporting done", async () => {
      const ghost = action({ type: "disable_user", target: ctx.fixture.unknown.user, targetKind: "user" });
      await failure(ghost, "k-ghost-retry");
      const again = await failure(ghost, "k-ghost-retry");
      expect(isToolError(again) && again.code).toBe("NOT_FOUND");
    });
  });
}
