import type { TriageDeps } from "../deps.ts";
import { decideAll } from "../policy/engine.ts";
import type { TriageStateUpdate, TriageStateValue } from "../state.ts";
import { requireVerdict } from "./require.ts";

/** The policy engine decides every proposed action: code over the policy file; the reasoner has no say. */
export const checkPolicy =
  (deps: TriageDeps) =>
  async (state: TriageStateValue): Promise<TriageStateUpdate> => {
    const verdict = requireVerdict(state);
    const now = deps.now();
    // The engine is synchronous: each rate-limited type's recent executions are counted beforehand.
    const recent = new Map<string, number>();
    for (const type of new Set(state.actions.map((a) => a.type))) {
      const limit = deps.policy.rate_limits.find((l) => l.action === type);
      if (limit)
        recent.set(
          type,
          await deps.memory.countExecutions(type, new Date(now.getTime() - limit.per_minutes * 60_000)),
        );
    }
    const decisions = decideAll(deps.policy, state.actions, verdict, {
      now,
      recentExecutions: (type) => recent.get(type) ?? 0,
    });
    await deps.memory.saveActions(state.caseId, state.actions, decisions, [
      ...state.actions.map((action) => ({
        actor: `reasoner:${deps.reasoner.name}`,
        event: "action.proposed",
        caseId: state.caseId,
        payload: { actionId: action.id, type: action.type, target: action.target, reason: action.reason },
      })),
      ...decisions.map((decision) => {
        const action = state.actions.find((a) => a.id === decision.actionId);
        return {
          actor: "policy",
          event: "policy.decided",
          caseId: state.caseId,
          payload: {
            actionId: decision.actionId,
            type: action?.type,
            target: action?.target,
            decision: decision.decision,
            rule: decision.rule,
            approvers: decision.approvers,
          },
        };
      }),
    ]);
    return { decisions };
  };
