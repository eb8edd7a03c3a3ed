import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isToolError } from "../errors.ts";
import { FIXTURE } from "../lab/testing/fixture.ts";
import {
  proposedActionSchema,
  responseOutcomeSchema,
  type ProposedActionInput,
  type ResponseActions,
} from "../types.ts";
import type { ContractSetup } from "./types.ts";

const action = (a: Omit<ProposedActionInput, "id" | "blastRadius" | "reason">) =>
  proposedActionSchema.parse({ id: "act-1", blastRadius: 1, reason: "contract test", ...a });

/** Every ResponseActions: idempotent on the key, NOT_FOUND for a target that does not exist. */
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

    it("executes once per idempotency key and reports already_done after", async () => {
      const isolate = action({ type: "isolate_host", target: FIXTURE.host.hostname, targetKind: "host" });
      const first = responseOutcomeSchema.parse(
        await ctx.port.execute(isolate, { idempotencyKey: "k-isolate" }),
      );
      const second = responseOutcomeSchema.parse(
        await ctx.port.execute(isolate, { idempotencyKey: "k-isolate" }),
      );
      expect(first.outcome).toBe("executed");
      expect(second.outcome).toBe("already_done");
    });

    it("runs two racing calls with one key once", async () => {
      const quarantine = action({
        type: "quarantine_message",
        target: FIXTURE.messageId,
        targetKind: "message",
      });
      const outcomes = await Promise.all(
        [1, 2, 3].map(() => ctx.port.execute(quarantine, { idempotencyKey: "k-race" })),
      );
      expect(outcomes.filter((o) => o.outcome === "executed")).toHaveLength(1);
    });

    it("fails with NOT_FOUND for a target that does not exist", async () => {
      const error = await ctx.port
        .execute(action({ type: "disable_user", target: "ghost@corp.test", targetKind: "user" }), {
          idempotencyKey: "k-ghost",
        })
        .catch((e: unknown) => e);
      expect(isToolError(error) && error.code).toBe("NOT_FOUND");
    });
  });
}
