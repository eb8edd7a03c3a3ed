import type { TriageDeps } from "../deps.ts";
import type { TriageStateUpdate, TriageStateValue } from "../state.ts";
import type { Evidence } from "../../core/domain.ts";
import { ALERT_EVIDENCE_ID } from "../../core/ids.ts";
import { requireAlert } from "./require.ts";

/**
 * Makes the alert the investigation's first piece of evidence. The alert was fetched, validated and
 * normalized once before the case opened (agent/fetch-alert.ts), and stored with the case.
 */
export const loadAlert =
  (deps: TriageDeps) =>
  async (state: TriageStateValue): Promise<TriageStateUpdate> => {
    const alert = requireAlert(state);
    const evidence: Evidence = {
      id: ALERT_EVIDENCE_ID,
      tool: "alert_source",
      args: { id: alert.id, source: alert.source },
      summary: `${alert.family} alert ${alert.type}: ${alert.title}`,
      data: alert,
      collectedAt: deps.now().toISOString(),
    };
    await deps.memory.addEvidence(state.caseId, [evidence], [], {
      actor: "engine",
      event: "alert.loaded",
      caseId: state.caseId,
      payload: { alertId: alert.id, type: alert.type, observables: alert.observables.length },
    });
    return { evidence: [evidence], startedAt: state.startedAt || deps.now().toISOString() };
  };
