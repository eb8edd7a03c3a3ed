import type { TriageDeps } from "../deps.ts";
import type { TriageStateUpdate, TriageStateValue } from "../state.ts";

/** Closes the case. The report itself is built from the final state (agent/report.ts). */
export const writeReport =
  (deps: TriageDeps) =>
  async (state: TriageStateValue): Promise<TriageStateUpdate> => {
    await deps.memory.setStatus(
      state.caseId,
      "closed",
      {},
      {
        actor: "engine",
        event: "case.closed",
        caseId: state.caseId,
        payload: {
          disposition: state.verdict?.disposition,
          confidence: state.verdict?.confidence,
          actions: state.results.map((r) => ({ id: r.actionId, status: r.status })),
        },
      },
    );
    return {};
  };
