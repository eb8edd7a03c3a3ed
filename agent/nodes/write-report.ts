import { END } from "@langchain/langgraph";
import type { TriageDeps } from "../deps.ts";
import { buildReport } from "../report.ts";
import type { TriageStateUpdate, TriageStateValue } from "../state.ts";

/**
 * Builds the report from the state, into the state, and closes the case when nothing waits for a person.
 * A case that waits is marked so by the caller once the graph has paused (its checkpoint then holds the
 * interrupt), so a crash in between never leaves a case marked waiting that cannot be answered.
 */
export const writeReport =
  (deps: TriageDeps) =>
  async (state: TriageStateValue): Promise<TriageStateUpdate> => {
    const report = buildReport(state);
    if (report.status === "closed")
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
    return { report };
  };

/** After the report: wait for a person if some action still needs one (and someone can answer), else end. */
export const routeAfterReport =
  (deps: TriageDeps) =>
  (state: TriageStateValue): "await-approval" | typeof END =>
    deps.interactiveApprovals && !state.approval && state.results.some((r) => r.status === "pending_approval")
      ? "await-approval"
      : END;
