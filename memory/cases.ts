/**
 * The cases table: opening a case with its alert, its status, and reading cases back for analysts
 * (lists, one case, the alert and mode it was opened with).
 */
import { z } from "zod";
import { newCaseId } from "../core/ids.ts";
import {
  type Alert,
  type CaseStatus,
  type CaseSummary,
  alertFamilySchema,
  caseStatusSchema,
  dispositionSchema,
} from "../core/domain.ts";
import { TriageError } from "../core/errors.ts";
import type { SqlExecutor } from "./sql/driver.ts";

const caseRowSchema = z
  .object({
    id: z.string(),
    alert_id: z.string(),
    family: alertFamilySchema,
    type: z.string(),
    title: z.string(),
    disposition: dispositionSchema.nullable(),
    confidence: z.number().nullable(),
    status: caseStatusSchema,
    reasoner: z.string(),
    error: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    superseded_by: z.string().nullable(),
    incomplete: z.string().nullable(),
  })
  .transform((r): CaseSummary => ({
    caseId: r.id,
    alertId: r.alert_id,
    family: r.family,
    type: r.type,
    title: r.title,
    disposition: r.disposition,
    confidence: r.confidence,
    status: r.status,
    reasoner: r.reasoner,
    error: r.error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    supersededBy: r.superseded_by,
    incomplete: r.incomplete === null ? null : z.array(z.string()).parse(JSON.parse(r.incomplete)),
  }));

// Well under SQLite's 32,766 bound parameters per statement.
const OBSERVABLES_PER_INSERT = 500;

const openedRowSchema = z.object({ doc: z.string(), dry_run: z.number().nullable() });

/**
 * The statements run through the driver: inside a caller's transaction they join it (SqlCaseMemory opens
 * one per port call, with its audit rows).
 */
export class Cases {
  private readonly sql: SqlExecutor;
  private readonly now: () => Date;

  constructor(sql: SqlExecutor, options: { now: () => Date }) {
    this.sql = sql;
    this.now = options.now;
  }

  /** Opens a case for `alert`, owned by `owner` for `leaseMs` when both are given; returns its id. */
  async create(
    alert: Alert,
    options: { reasoner: string; owner?: string; leaseMs?: number; dryRun?: boolean },
  ): Promise<string> {
    const id = newCaseId();
    const now = this.now();
    const at = now.toISOString();
    const leaseUntil =
      options.owner === undefined || options.leaseMs === undefined
        ? null
        : new Date(now.getTime() + options.leaseMs).toISOString();
    await this.sql.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO cases (id, alert_id, alert_source, family, type, title, status, reasoner, created_at, updated_at, owner, lease_until, dry_run)
         VALUES (?, ?, ?, ?, ?, ?, 'investigating', ?, ?, ?, ?, ?, ?)`,
        [
          id,
          alert.id,
          alert.source,
          alert.family,
          alert.type,
          alert.title,
          options.reasoner,
          at,
          at,
          options.owner ?? null,
          leaseUntil,
          options.dryRun === undefined ? null : Number(options.dryRun),
        ],
      );
      await this.saveAlert(tx, id, alert);
    });
    return id;
  }

  /** Stores (or replaces) the case's alert and indexes its observables for recall. */
  private async saveAlert(tx: SqlExecutor, caseId: string, alert: Alert): Promise<void> {
    await tx.run(
      "INSERT INTO alerts (case_id, doc) VALUES (?, ?) ON CONFLICT(case_id) DO UPDATE SET doc = excluded.doc",
      [caseId, JSON.stringify(alert)],
    );
    // Many rows per statement: one round trip per chunk on PostgreSQL, not one per observable.
    for (let start = 0; start < alert.observables.length; start += OBSERVABLES_PER_INSERT) {
      const chunk = alert.observables.slice(start, start + OBSERVABLES_PER_INSERT);
      await tx.run(
        `INSERT INTO observables (case_id, type, value, role) VALUES ${chunk.map(() => "(?, ?, ?, ?)").join(", ")}
         ON CONFLICT DO NOTHING`,
        chunk.flatMap((o) => [caseId, o.type, o.value.toLowerCase(), o.role ?? ""]),
      );
    }
  }

  async setStatus(caseId: string, status: CaseStatus, extra: { error?: string } = {}): Promise<void> {
    await this.sql.run("UPDATE cases SET status = ?, error = ?, updated_at = ? WHERE id = ?", [
      status,
      extra.error ?? null,
      this.now().toISOString(),
      caseId,
    ]);
  }

  async list(options: { limit?: number; status?: CaseStatus } = {}): Promise<CaseSummary[]> {
    const limit = options.limit ?? 50;
    const rows = options.status
      ? await this.sql.all(
          "SELECT * FROM cases WHERE status = ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
          [options.status, limit],
        )
      : await this.sql.all("SELECT * FROM cases ORDER BY created_at DESC, rowid DESC LIMIT ?", [limit]);
    return rows.map((r) => caseRowSchema.parse(r));
  }

  /** One case; TriageError NOT_FOUND when there is none. */
  async get(caseId: string): Promise<CaseSummary> {
    const row = await this.sql.get("SELECT * FROM cases WHERE id = ?", [caseId]);
    if (row === undefined) throw new TriageError("NOT_FOUND", `no case ${caseId}`);
    return caseRowSchema.parse(row);
  }

  /** The alert and mode a case was opened with, to start it again when it died before its first step. */
  async openedWith(caseId: string): Promise<{ alert: unknown; dryRun: boolean }> {
    const row = openedRowSchema.parse(
      await this.sql.get(
        "SELECT a.doc, c.dry_run FROM cases c JOIN alerts a ON a.case_id = c.id WHERE c.id = ?",
        [caseId],
      ),
    );
    // Cases from before the mode was recorded are started again as dry runs: never act on a guess.
    return { alert: JSON.parse(row.doc), dryRun: row.dry_run !== 0 };
  }
}
