import { TriageError } from "../../core/errors.ts";
import type { Alert, Verdict } from "../../core/domain.ts";
import type { TriageStateValue } from "../state.ts";

/** The graph's edges guarantee these are set; a missing one is our bug, reported as INTERNAL. */
export function requireAlert(state: TriageStateValue): Alert {
  if (!state.alert) throw new TriageError("INTERNAL", `case ${state.caseId} has no alert loaded`);
  return state.alert;
}

export function requireVerdict(state: TriageStateValue): Verdict {
  if (!state.verdict) throw new TriageError("INTERNAL", `case ${state.caseId} has no verdict`);
  return state.verdict;
}
