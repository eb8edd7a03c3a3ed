/** Building blocks of the playbooks' proposed actions; targets' tags and blast radius are resolved later by code. */
import type { ProposedActionInput, Verdict } from "../../../core/domain.ts";

export type ActionDraft = Omit<ProposedActionInput, "id" | "blastRadius"> & { blastRadius?: number };

/** A proposed action before the graph numbers it (act-N) and resolves its target. */
export function draftAction(draft: ActionDraft): ProposedActionInput {
  return { id: "pending", blastRadius: 0, ...draft };
}

/** Close the case as benign, or hand it to an analyst: the same two answers every playbook gives. */
export function closeCase(
  alertId: string,
  verdict: Verdict,
  reason = `Benign: ${verdict.category.replace(/_/g, " ")}`,
): ProposedActionInput {
  return draftAction({
    type: "close_case",
    target: alertId,
    targetKind: "case",
    reason,
    evidenceIds: verdict.evidenceIds,
  });
}

export function escalateCase(
  alertId: string,
  verdict: Verdict,
  reason = "Not clear-cut: an analyst should look",
): ProposedActionInput {
  return draftAction({
    type: "escalate",
    target: alertId,
    targetKind: "case",
    reason,
    evidenceIds: verdict.evidenceIds,
  });
}
