import type { TriageDeps } from "../deps.ts";
import type { TriageStateUpdate, TriageStateValue } from "../state.ts";
import { requireAlert } from "./require.ts";

/** Related cases by shared observables, duplicates, and what memory knows of each observable. */
export const recallCases =
  (deps: TriageDeps) =>
  async (state: TriageStateValue): Promise<TriageStateUpdate> => {
    const alert = requireAlert(state);
    const { related, history } = await deps.memory.recall(state.caseId, alert);
    const notes = related.some((c) => c.duplicate)
      ? [
          `same alert content was triaged before: ${related
            .filter((c) => c.duplicate)
            .map((c) => c.caseId)
            .join(", ")}`,
        ]
      : [];
    return { related, history, notes };
  };
