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
import type { CaseDatabase } from "./db.ts";

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

const openedRowSchema = z.object({ doc: z.string(), dry_run: z.number().nullable() });

export class Cases {
  private readonly db: CaseDatabase;
  private readonly now: () => Date;

  constructor(db: CaseDatabase, options: { now: () => Date }) {
    this.db = db;
    this.now = options.now;
  }

  /** Opens a case for `alert`, owned by `owner` for `leaseMs` when both are given; returns its id. */
  create(
    alert: Alert,
    options: { reasoner: string; owner?: string; leaseMs?: number; dryRun?: boolean },
  ): string {
    const id = newCaseId();
    const now = this.now();
    const at = now.toISOString();
    const leaseUntil =
      options.owner === undefined || options.leaseMs === undefined
        ? null
        : new Date(now.getTime() + options.leaseMs).toISOString();
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO cases (id, alert_id, alert_source, family, type, title, status, reasoner, created_at, updated_at, owner, lease_until, dry_run)
           VALUES (?, ?, ?, ?, ?, ?, 'investigating', ?, ?, ?, ?, ?, ?)`,
        )
        .run(
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
        );
      this.saveAlert(id, alert);
    })();
    return id;
  }

  /** Stores (or replaces) the case's alert and indexes its observables for recall. */
  saveAlert(caseId: string, alert: Alert): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          "INSERT INTO alerts (case_id, doc) VALUES (?, ?) ON CONFLICT(case_id) DO UPDATE SET doc = excluded.doc",
        )
        .run(caseId, JSON.stringify(alert));
      const insert = this.db.prepare(
        "INSERT OR IGNORE INTO observables (case_id, type, value, role) VALUES (?, ?, ?, ?)",
      );
      for (const o of alert.observables) insert.run(caseId, o.type, o.value.toLowerCase(), o.role ?? "");
    })();
  }

  setStatus(caseId: string, status: CaseStatus, extra: { error?: string } = {}): void {
    this.db
      .prepare("UPDATE cases SET status = ?, error = ?, updated_at = ? WHERE id = ?")
      .run(status, extra.error ?? null, this.now().toISOString(), caseId);
  }

  list(options: { limit?: number; status?: CaseStatus } = {}): CaseSummary[] {
    const limit = options.limit ?? 50;
    const rows = options.status
      ? this.db
          .prepare("SELECT * FROM cases WHERE status = ? ORDER BY created_at DESC, rowid DESC LIMIT ?")
          .all(options.status, limit)
      : this.db.prepare("SELECT * FROM cases ORDER BY created_at DESC, rowid DESC LIMIT ?").all(limit);
    return rows.map((r) => caseRowSchema.parse(r));
  }

  /** One case; TriageError NOT_FOUND when there is none. */
  get(caseId: string): CaseSummary {
    const row = this.db.prepare("SELECT * FROM cases WHERE id = ?").get(caseId);
    if (row === undefined) throw new TriageError("NOT_FOUND", `no case ${caseId}`);
    return caseRowSchema.parse(row);
  }

  /** The alert and mode a case was opened with, to start it again when it died before its first step. */
  openedWith(caseId: string): { alert: unknown; dryRun: boolean } {
    const row = openedRowSchema.parse(
      this.db
        .prepare("SELECT a.doc, c.dry_run FROM cases c JOIN alerts a ON a.case_id = c.id WHERE c.id = ?")
        .get(caseId),
    );
    // Cases from before the mode was recorded are started again as dry runs: never act on a guess.
    return { alert: JSON.parse(row.doc), dryRun: row.dry_run !== 0 };
  }
}
