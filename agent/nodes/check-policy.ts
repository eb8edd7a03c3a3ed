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
    const decisions = decideAll(deps.policy, state.actions, verdict, {
      now,
      recentExecutions: (type, sinceMinutesAgo) =>
        deps.memory.countExecutions(type, new Date(now.getTime() - sinceMinutesAgo * 60_000)),
    });
    deps.memory.transaction(() => {
      deps.memory.saveActions(state.caseId, state.actions, decisions);
      for (const action of state.actions)
        deps.memory.audit({
          actor: `reasoner:${deps.reasoner.name}`,
          event: "action.proposed",
          caseId: state.caseId,
          payload: { actionId: action.id, type: action.type, target: action.target, reason: action.reason },
        });
      for (const decision of decisions) {
        const action = state.actions.find((a) => a.id === decision.actionId);
        deps.memory.audit({
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
        });
      }
    });
    return { decisions };
  };
