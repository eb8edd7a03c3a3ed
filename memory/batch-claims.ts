/** Exactly-once ownership of alerts across batch processes sharing one case database. */
import { z } from "zod";
import type { CaseDatabase } from "./db.ts";

const statusRow = z.object({ status: z.enum(["running", "done", "failed"]), worker: z.string() });

export class BatchClaims {
  private readonly db: CaseDatabase;
  private readonly now: () => Date;

  constructor(db: CaseDatabase, options: { now: () => Date }) {
    this.db = db;
    this.now = options.now;
  }

  /** True when this worker now owns the alert; a single INSERT is atomic across processes. */
  claim(source: string, alertId: string, worker: string): boolean {
    const result = this.db
      .prepare(
        "INSERT INTO batch_claims (alert_source, alert_id, worker, status, claimed_at) VALUES (?, ?, ?, 'running', ?) ON CONFLICT DO NOTHING",
      )
      .run(source, alertId, worker, this.now().toISOString());
    return result.changes === 1;
  }

  finish(
    source: string,
    alertId: string,
    outcome: { status: "done" | "failed"; caseId?: string; error?: string },
  ): void {
    this.db
      .prepare(
        "UPDATE batch_claims SET status = ?, case_id = ?, error = ?, finished_at = ? WHERE alert_source = ? AND alert_id = ?",
      )
      .run(
        outcome.status,
        outcome.caseId ?? null,
        outcome.error ?? null,
        this.now().toISOString(),
        source,
        alertId,
      );
  }

  status(source: string, alertId: string): z.infer<typeof statusRow> | null {
    const row = this.db
      .prepare("SELECT status, worker FROM batch_claims WHERE alert_source = ? AND alert_id = ?")
      .get(source, alertId);
    return row === undefined ? null : statusRow.parse(row);
  }
}
