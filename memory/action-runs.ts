/**
 * Action runs: the exactly-once record of each response action. A run is claimed ('started') under its
 * idempotency key before the action executes and completed with its outcome after; a run left 'started'
 * is what recovery finishes.
 */
import { z } from "zod";
import type { ActionResult } from "../core/domain.ts";
import type { ClaimResult } from "../core/ports.ts";
import { redact } from "../core/redact.ts";
import type { SqlExecutor } from "./sql/driver.ts";

const runRowSchema = z.object({ status: z.string(), detail: z.string(), case_id: z.string() });
const startedRunSchema = z.object({
  idempotency_key: z.string(),
  case_id: z.string(),
  action_id: z.string(),
  doc: z.string().nullable(),
});
const countRowSchema = z.object({ n: z.number() });
const caseRunSchema = z.object({ action_id: z.string(), status: z.string(), detail: z.string() });

export class ActionRuns {
  private readonly sql: SqlExecutor;
  private readonly now: () => Date;

  constructor(sql: SqlExecutor, options: { now: () => Date }) {
    this.sql = sql;
    this.now = options.now;
  }

  /**
   * Records the intent to run an action; true when this caller inserted it. One INSERT is atomic on both
   * engines: of two processes racing on a key, exactly one inserts the row.
   */
  async claim(caseId: string, actionId: string, idempotencyKey: string): Promise<boolean> {
    const { changes } = await this.sql.run(
      "INSERT INTO action_runs (idempotency_key, case_id, action_id, status, started_at) VALUES (?, ?, ?, 'started', ?) ON CONFLICT(idempotency_key) DO NOTHING",
      [idempotencyKey, caseId, actionId, this.now().toISOString()],
    );
    return changes === 1;
  }

  /** The earlier attempt under a key that someone else claimed. */
  async existing(idempotencyKey: string): Promise<Extract<ClaimResult, { claimed: false }>> {
    const row = runRowSchema.parse(
      await this.sql.get("SELECT status, detail, case_id FROM action_runs WHERE idempotency_key = ?", [
        idempotencyKey,
      ]),
    );
    return { claimed: false, status: row.status, detail: row.detail, caseId: row.case_id };
  }

  /** Writes an action's outcome (redacted) over its claim, or as a new run when it was never claimed. */
  async complete(caseId: string, result: ActionResult): Promise<void> {
    await this.sql.run(
      `INSERT INTO action_runs (idempotency_key, case_id, action_id, status, detail, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(idempotency_key) DO UPDATE SET status = excluded.status, detail = excluded.detail, finished_at = excluded.finished_at,
         case_id = excluded.case_id, action_id = excluded.action_id`,
      [
        result.idempotencyKey,
        caseId,
        result.actionId,
        result.status,
        redact(result.detail),
        result.at,
        result.at,
      ],
    );
  }

  /** Executions of an action type (not dry runs) since a time, for policy rate limits. */
  async countExecutions(type: string, since: Date): Promise<number> {
    const row = await this.sql.get(
      `SELECT COUNT(*) AS n FROM action_runs r JOIN actions a ON a.case_id = r.case_id AND a.action_id = r.action_id
       WHERE a.type = ? AND r.status = 'executed' AND r.finished_at >= ?`,
      [type, since.toISOString()],
    );
    return countRowSchema.parse(row).n;
  }

  /**
   * Action runs left at 'started' (intent recorded, outcome never written) whose case nobody is working
   * on, with the action as proposed: recovery finishes them under the same idempotency key.
   */
  async started(): Promise<
    Array<{ idempotencyKey: string; caseId: string; actionId: string; action: unknown }>
  > {
    const rows = await this.sql.all(
      `SELECT r.idempotency_key, r.case_id, r.action_id, a.doc FROM action_runs r
       JOIN cases c ON c.id = r.case_id
       LEFT JOIN actions a ON a.case_id = r.case_id AND a.action_id = r.action_id
       WHERE r.status = 'started' AND c.status <> 'investigating' ORDER BY r.started_at`,
    );
    return rows
      .map((raw) => startedRunSchema.parse(raw))
      .map((r) => ({
        idempotencyKey: r.idempotency_key,
        caseId: r.case_id,
        actionId: r.action_id,
        action: r.doc === null ? null : JSON.parse(r.doc),
      }));
  }

  /** Status of each action run of a case, by action id. */
  async ofCase(caseId: string): Promise<Array<{ actionId: string; status: string; detail: string }>> {
    const rows = await this.sql.all(
      "SELECT action_id, status, detail FROM action_runs WHERE case_id = ? ORDER BY started_at",
      [caseId],
    );
    return rows
      .map((r) => caseRunSchema.parse(r))
      .map((r) => ({ actionId: r.action_id, status: r.status, detail: r.detail }));
  }
}
