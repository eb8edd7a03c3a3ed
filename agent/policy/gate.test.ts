import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PolicyDecision } from "../../core/domain.ts";
import { actionsArbitrary, approvalArbitrary, policyArbitrary, verdictArbitrary } from "./arbitraries.ts";
import { decideAll } from "./engine.ts";
import { isApproverAllowed, mayExecute, resolveStatus } from "./gate.ts";

const decision = (d: PolicyDecision["decision"], approvers: string[] = []): PolicyDecision => ({
  actionId: "act-1",
  decision: d,
  rule: "r",
  reason: "",
  approvers,
});
const approval = (approved: boolean, actionIds: string[] = []) => ({
  approved,
  by: "alice",
  actionIds,
  comment: "",
  at: "2026-11-10T12:00:00.000Z",
});

describe("the gate", () => {
  it("runs allow, runs require_approval only with a covering approval, never runs deny", () => {
    expect(mayExecute(decision("allow"), undefined)).toBe(true);
    expect(mayExecute(decision("require_approval"), undefined)).toBe(false);
    expect(mayExecute(decision("require_approval"), approval(true))).toBe(true);
    expect(mayExecute(decision("require_approval"), approval(true, ["act-2"]))).toBe(false);
    expect(mayExecute(decision("require_approval"), approval(false))).toBe(false);
    expect(mayExecute(decision("deny"), approval(true))).toBe(false);
    expect(resolveStatus(decision("allow"), undefined, true)).toBe("dry_run");
    expect(resolveStatus(decision("require_approval"), undefined, false)).toBe("pending_approval");
    expect(resolveStatus(decision("require_approval"), approval(false), false)).toBe("denied");
  });

  it("lets only named approvers (or anyone for *) answer", () => {
    expect(
      isApproverAllowed(
        { version: 1, approvers: {}, rate_limits: [], rules: [] },
        decision("require_approval", ["soc-lead"]),
        "Soc-Lead",
      ),
    ).toBe(true);
    expect(
      isApproverAllowed(
        { version: 1, approvers: {}, rate_limits: [], rules: [] },
        decision("require_approval", ["soc-lead"]),
        "mallory",
      ),
    ).toBe(false);
    expect(
      isApproverAllowed(
        { version: 1, approvers: {}, rate_limits: [], rules: [] },
        decision("require_approval", ["*"]),
        "anyone",
      ),
    ).toBe(true);
  });

  it("property: nothing is executable unless the policy allowed it or a person approved that very action", () => {
    fc.assert(
      fc.property(
        policyArbitrary,
        verdictArbitrary,
        actionsArbitrary,
        approvalArbitrary,
        fc.boolean(),
        fc.integer({ min: 0, max: 5 }),
        (policy, verdict, actions, answer, dryRun, recent) => {
          const decisions = decideAll(policy, actions, verdict, {
            now: new Date(),
            recentExecutions: () => recent,
          });
          expect(decisions).toHaveLength(actions.length);
          for (const d of decisions) {
            const runs = mayExecute(d, answer);
            const approved =
              d.decision === "require_approval" &&
              answer?.approved === true &&
              (answer.actionIds.length === 0 || answer.actionIds.includes(d.actionId));
            expect(runs).toBe(d.decision === "allow" || approved);
            const status = resolveStatus(d, answer, dryRun);
            if (status === "executed" || status === "dry_run") expect(runs).toBe(true);
            if (status === "executed") expect(dryRun).toBe(false);
            if (d.decision === "deny") expect(status).toBe("denied");
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
