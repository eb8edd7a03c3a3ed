/** Analyst feedback: the disposition an analyst gave a case. Recall ranks it above the engine's word. */
import type { CaseFeedback } from "../core/domain.ts";
import type { CaseDatabase } from "./db.ts";

/** Appends one feedback row; the latest row of a case is the one that counts. */
export function insertFeedback(db: CaseDatabase, caseId: string, feedback: CaseFeedback, at: Date): void {
  db.prepare("INSERT INTO feedback (case_id, disposition, by, comment, at) VALUES (?, ?, ?, ?, ?)").run(
    caseId,
    feedback.disposition,
    feedback.by,
    feedback.comment,
    at.toISOString(),
  );
}
