/** Analyst feedback: the disposition an analyst gave a case. Recall ranks it above the engine's word. */
import type { CaseFeedback } from "../core/domain.ts";
import type { SqlExecutor } from "./sql/driver.ts";

/** Appends one feedback row; the latest row of a case is the one that counts. */
export async function insertFeedback(
  sql: SqlExecutor,
  caseId: string,
  feedback: CaseFeedback,
  at: Date,
): Promise<void> {
  await sql.run("INSERT INTO feedback (case_id, disposition, by, comment, at) VALUES (?, ?, ?, ?, ?)", [
    caseId,
    feedback.disposition,
    feedback.by,
    feedback.comment,
    at.toISOString(),
  ]);
}
