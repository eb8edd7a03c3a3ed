import type { TriageDeps } from "../deps.ts";
import { decideAll } from "../policy/engine.ts";
import { recentExecutions } from "../recent-executions.ts";
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
      recentExecutions: await recentExecutions(deps, state.actions, now),
    });
    // One audit row per decision, with the proposal it decided: a separate action.proposed row repeated
    // the action, and audit rows are kept forever (they were a fifth of a closed case's bytes).
    await deps.memory.saveActions(
      state.caseId,
      state.actions,
      decisions,
      state.actions.map((action) => {
        const decision = decisions.find((d) => d.actionId === action.id);
        return {
          actor: "policy",
          event: "policy.decided",
          caseId: state.caseId,
          payload: {
            actionId: action.id,
            type: action.type,
            target: action.target,
            reason: action.reason,
            proposedBy: `reasoner:${deps.reasoner.name}`,
            decision: decision?.decision,
            rule: decision?.rule,
            approvers: decision?.approvers,
          },
        };
      }),
    );
    return { decisions };
  };
