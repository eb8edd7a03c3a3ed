/** Analyst feedback: the disposition an analyst gave a case. Recall ranks it above the engine's word. */
import type { Disposition } from "../core/domain.ts";
import type { CaseDatabase } from "./db.ts";

export interface Feedback {
  disposition: Disposition;
  by: string;
  comment: string;
}

/** Appends one feedback row; the latest row of a case is the one that counts. */
export function insertFeedback(db: CaseDatabase, caseId: string, feedback: Feedback, at: Date): void {
  db.prepare("INSERT INTO feedback (case_id, disposition, by, comment, at) VALUES (?, ?, ?, ?, ?)").run(
    caseId,
    feedback.disposition,
    feedback.by,
    feedback.comment,
    at.toISOString(),
  );
}
