import type { TriageDeps } from "../deps.ts";
import { normalizeAlert } from "../normalize.ts";
import type { TriageStateUpdate, TriageStateValue } from "../state.ts";
import { TriageError } from "../../core/errors.ts";
import { alertSchema, type Evidence } from "../../core/domain.ts";
import { ALERT_EVIDENCE_ID } from "../../core/ids.ts";

/**
 * Validates and normalizes the alert that runTriage fetched (fetching happens before the case exists, so
 * an unknown id writes nothing), stores it, and makes it the first piece of evidence.
 */
export const loadAlert =
  (deps: TriageDeps) =>
  async (state: TriageStateValue): Promise<TriageStateUpdate> => {
    const parsed = alertSchema.safeParse(state.alert);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new TriageError(
        "BAD_INPUT",
        `alert ${state.alertId} is malformed: ${issue?.path.join(".") || "alert"}: ${issue?.message ?? "invalid"}`,
      );
    }
    const alert = normalizeAlert(parsed.data);
    const evidence: Evidence = {
      id: ALERT_EVIDENCE_ID,
      tool: "alert_source",
      args: { id: alert.id, source: alert.source },
      summary: `${alert.family} alert ${alert.type}: ${alert.title}`,
      data: alert,
      collectedAt: deps.now().toISOString(),
    };
    deps.memory.transaction(() => {
      deps.memory.saveAlert(state.caseId, alert);
      deps.memory.addEvidence(state.caseId, [evidence], []);
      deps.memory.audit({
        actor: "engine",
        event: "alert.loaded",
        caseId: state.caseId,
        payload: { alertId: alert.id, type: alert.type, observables: alert.observables.length },
      });
    });
    return { alert, evidence: [evidence], startedAt: state.startedAt || deps.now().toISOString() };
  };
