import type { TriageDeps } from "./deps.ts";
import type { ReasonerContext } from "./reasoners/types.ts";
import type { TriageStateValue } from "./state.ts";
import { requireAlert } from "./nodes/require.ts";

/** The view of the state a reasoner gets. */
export function reasonerContext(deps: TriageDeps, state: TriageStateValue): ReasonerContext {
  const alert = requireAlert(state);
  return {
    alert,
    organization: deps.organization,
    related: state.related,
    history: state.history,
    organizationLogs: deps.tools.siem.speaksFor?.(alert) ?? true,
    evidence: state.evidence,
    steps: state.steps,
    round: state.round,
    remainingToolCalls: Math.max(0, deps.budget.maxToolCalls - state.steps.length),
    usage: state.usage,
  };
}
