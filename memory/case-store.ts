/**
 * Case memory over SQLite: what the graph writes while it works (cases, evidence, verdicts, decisions,
 * action runs), what analysts read back (lists, cases, feedback). The audit log lives in audit.ts; this
 * store delegates to it so callers keep one object.
 */
import { newCaseId } from "../core/ids.ts";
import { z } from "zod";
import {
  type AuditEntry,
  type InvestigationStep,
  alertFamilySchema,
  dispositionSchema,
  type ActionResult,
  type Alert,
  approvalSchema,
  type Approval,
  type Disposition,
  type Evidence,
  type Finding,
  type PolicyDecision,
  type ProposedAction,
  type Verdict,
  type ObservableHistory,
  type RelatedCase,
  caseStatusSchema,
  isPersonalRole,
  personalRoles,
  type CaseStatus,
} from "../core/domain.ts";
import type { CaseMemory, ClaimResult } from "../core/ports.ts";
import { TriageError } from "../core/errors.ts";
import { redact, redactValue } from "../core/redact.ts";
import { CaseLeases } from "./case-leases.ts";
import type { CaseDatabase } from "./db.ts";
import type { SignedHead } from "./audit-key.ts";
import { AuditLog, defaultAuditSettings, type AuditSettings } from "./audit.ts";
import type { AuditVerification } from "./audit-verify.ts";

export const caseSummarySchema = z.object({
  caseId: z.string(),
  alertId: z.string(),
  family: alertFamilySchema,
  type: z.string(),
  title: z.string(),
  disposition: dispositionSchema.nullable(),
  confidence: z.number().nullable(),
  status: caseStatusSchema,
  reasoner: z.string(),
  error: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The case that replaced this one when another worker took its alert over. */
  supersededBy: z.string().nullable(),
  /** Tools the investigation needed but could not use; null when it was complete. */
  incomplete: z.array(z.string()).nullable(),
});
export type CaseSummary = z.infer<typeof caseSummarySchema>;

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

const runRowSchema = z.object({ status: z.string(), detail: z.string(), case_id: z.string() });
const startedRunSchema = z.object({
  idempotency_key: z.string(),
  case_id: z.string(),
  action_id: z.string(),
  doc: z.string().nullable(),
});
const countRowSchema = z.object({ n: z.number() });
const checkpointIdRowSchema = z.object({ id: z.string() });
const relatedRowSchema = z.object({
  id: z.string(),
  alert_id: z.string(),
  type: z.string(),
  title: z.string(),
  created_at: z.string(),
  disposition: dispositionSchema.nullable(),
  analyst: dispositionSchema.nullable(),
  analyst_by: z.string().nullable(),
  approved_by: z.string().nullable(),
  type_value: z.string(),
});
const historyRowSchema = relatedRowSchema.pick({
  disposition: true,
  analyst: true,
  analyst_by: true,
  approved_by: true,
});

const approvalRowSchema = z.object({
  approved: z.number(),
  by: z.string(),
  action_ids: z.string(),
  comment: z.string(),
  at: z.string(),
});
const openedRowSchema = z.object({ doc: z.string(), dry_run: z.number().nullable() });
// Observables in personal roles name the people involved, not the threat (core/domain.ts personalRoles).
const PERSONAL_ROLES_SQL = personalRoles.map((role) => `'${role}'`).join(", ");
// Values seen in this many cases are background (our own domain, a popular site): not a link between cases.
const TOO_COMMON = 50;
const RECALL_DAYS = 30;
// Who settled a case: the latest analyst feedback, and the latest approval of its proposed actions.
const CONFIRMATION_COLUMNS = `
  (SELECT f.disposition FROM feedback f WHERE f.case_id = c.id ORDER BY f.seq DESC LIMIT 1) AS analyst,
  (SELECT f.by FROM feedback f WHERE f.case_id = c.id ORDER BY f.seq DESC LIMIT 1) AS analyst_by,
  (SELECT a.by FROM approvals a WHERE a.case_id = c.id AND a.approved = 1 ORDER BY a.seq DESC LIMIT 1) AS approved_by`;

/**
 * A case's disposition and who stands behind it. Feedback outranks everything; approving the containment
 * of a malicious verdict confirms it; otherwise it is the engine's word alone (confirmedBy null).
 */
function settled(row: z.infer<typeof historyRowSchema>): {
  disposition: Disposition | null;
  confirmedBy: string | null;
} {
  if (row.analyst) return { disposition: row.analyst, confirmedBy: row.analyst_by };
  if (row.disposition === "malicious" && row.approved_by)
    return { disposition: "malicious", confirmedBy: row.approved_by };
  return { disposition: row.disposition, confirmedBy: null };
}

export class SqliteCaseMemory implements CaseMemory {
  private readonly db: CaseDatabase;
  private readonly now: () => Date;
  private readonly auditLog: AuditLog;
  /** Case ownership: who works on which case, and which cases were left behind by a dead process. */
  readonly leases: CaseLeases;

  /** `audit` says where the audit key and head live; by default beside the database file. */
  constructor(db: CaseDatabase, options: { now: () => Date; audit?: AuditSettings }) {
    this.db = db;
    this.now = options.now;
    this.leases = new CaseLeases(db, options);
    this.auditLog = new AuditLog(db, {
      now: options.now,
      settings: options.audit ?? defaultAuditSettings(db.name),
    });
  }

  /**
   * Runs `work` in one immediate transaction, so a state change and its audit row commit together or not
   * at all: `memory.transaction(() => { memory.saveVerdict(...); memory.audit(...) })`. Nests as a
   * savepoint inside another transaction.
   */
  transaction<T>(work: () => T): T {
    return this.auditLog.transaction(work);
  }

  private stamp(): string {
    return this.now().toISOString();
  }

  createCase(
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
      this.writeAlert(id, alert);
    })();
    return id;
  }

  private writeAlert(caseId: string, alert: Alert): void {
    this.db
      .prepare(
        "INSERT INTO alerts (case_id, doc) VALUES (?, ?) ON CONFLICT(case_id) DO UPDATE SET doc = excluded.doc",
      )
      .run(caseId, JSON.stringify(alert));
    const insert = this.db.prepare(
      "INSERT OR IGNORE INTO observables (case_id, type, value, role) VALUES (?, ?, ?, ?)",
    );
    for (const o of alert.observables) insert.run(caseId, o.type, o.value.toLowerCase(), o.role ?? "");
  }

  recall(caseId: string, alert: Alert): { related: RelatedCase[]; history: ObservableHistory[] } {
    const since = new Date(this.now().getTime() - RECALL_DAYS * 86_400_000).toISOString();
    const threat = alert.observables.filter((o) => !isPersonalRole(o.role));
    const keys = [
      ...new Map(
        threat.map((o) => [
          `${o.type}\u0000${o.value.toLowerCase()}`,
          { type: o.type, value: o.value.toLowerCase() },
        ]),
      ).values(),
    ];
    const caseCount = this.db.prepare(
      "SELECT COUNT(DISTINCT case_id) AS n FROM observables WHERE type = ? AND value = ? AND case_id <> ?",
    );
    const common = new Set(
      keys
        .filter((k) => countRowSchema.parse(caseCount.get(k.type, k.value, caseId)).n > TOO_COMMON)
        .map((k) => `${k.type}\u0000${k.value}`),
    );
    const useful = keys.filter((k) => !common.has(`${k.type}\u0000${k.value}`));

    const related = new Map<string, RelatedCase>();
    const relatedQuery = this.db.prepare(
      `SELECT c.id, c.alert_id, c.type, c.title, c.created_at, c.disposition, ${CONFIRMATION_COLUMNS},
              o.type || char(0) || o.value AS type_value
       FROM observables o JOIN cases c ON c.id = o.case_id
       WHERE o.type = ? AND o.value = ? AND o.role NOT IN (${PERSONAL_ROLES_SQL}) AND c.id <> ? AND c.created_at >= ?
       ORDER BY c.created_at DESC LIMIT 50`,
    );
    for (const k of useful) {
      for (const raw of relatedQuery.all(k.type, k.value, caseId, since)) {
        const row = relatedRowSchema.parse(raw);
        const seen = related.get(row.id);
        const shared = { type: k.type, value: k.value };
        if (seen) seen.sharedObservables.push(shared);
        else {
          const { disposition, confirmedBy } = settled(row);
          related.set(row.id, {
            caseId: row.id,
            alertId: row.alert_id,
            alertType: row.type,
            title: row.title,
            createdAt: row.created_at,
            disposition: row.disposition,
            analystDisposition: confirmedBy ? disposition : null,
            confirmedBy,
            sharedObservables: [shared],
            duplicate: row.alert_id === alert.id,
          });
        }
      }
    }
    const historyQuery = this.db.prepare(
      `SELECT c.disposition, ${CONFIRMATION_COLUMNS}
       FROM (SELECT DISTINCT case_id FROM observables WHERE type = ? AND value = ? AND role NOT IN (${PERSONAL_ROLES_SQL}) AND case_id <> ?) o
       JOIN cases c ON c.id = o.case_id`,
    );
    const history: ObservableHistory[] = useful.flatMap((k) => {
      const cases = historyQuery.all(k.type, k.value, caseId).map((r) => settled(historyRowSchema.parse(r)));
      if (!cases.length) return [];
      const confirmed = cases.filter((c) => c.confirmedBy !== null);
      return [
        {
          type: k.type,
          value: k.value,
          seenInCases: cases.length,
          confirmedMalicious: confirmed.filter((c) => c.disposition === "malicious").length,
          confirmedBenign: confirmed.filter((c) => c.disposition === "benign").length,
          confirmedBy: [...new Set(confirmed.flatMap((c) => (c.confirmedBy ? [c.confirmedBy] : [])))],
          unconfirmedMalicious: cases.filter((c) => c.confirmedBy === null && c.disposition === "malicious")
            .length,
          listed: null,
        },
      ];
    });
    const ranked = [...related.values()].sort(
      (a, b) =>
        b.sharedObservables.length - a.sharedObservables.length || (a.createdAt < b.createdAt ? 1 : -1),
    );
    return { related: ranked.slice(0, 10), history };
  }

  addEvidence(caseId: string, evidence: Evidence[], steps: InvestigationStep[]): void {
    const insertEvidence = this.db.prepare(
      `INSERT INTO evidence (case_id, id, tool, args, summary, data, collected_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(case_id, id) DO UPDATE SET summary = excluded.summary, data = excluded.data, collected_at = excluded.collected_at`,
    );
    const insertStep = this.db.prepare(
      `INSERT INTO steps (case_id, seq, round, tool, args, evidence_id, ok, summary, duration_ms)
       VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM steps WHERE case_id = ?), ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const e of evidence)
        insertEvidence.run(
          caseId,
          e.id,
          e.tool,
          JSON.stringify(redactValue(e.args)),
          redact(e.summary),
          JSON.stringify(redactValue(e.data ?? null)),
          e.collectedAt,
        );
      for (const s of steps)
        insertStep.run(
          caseId,
          caseId,
          s.round,
          s.tool,
          JSON.stringify(redactValue(s.args)),
          s.evidenceId,
          s.ok ? 1 : 0,
          redact(s.summary),
          s.durationMs,
        );
    })();
  }

  saveVerdict(caseId: string, verdict: Verdict, findings: Finding[]): void {
    const at = this.stamp();
    this.db.transaction(() => {
      this.db
        .prepare(
          "INSERT INTO verdicts (case_id, doc, findings, at) VALUES (?, ?, ?, ?) ON CONFLICT(case_id) DO UPDATE SET doc = excluded.doc, findings = excluded.findings, at = excluded.at",
        )
        .run(caseId, JSON.stringify(redactValue(verdict)), JSON.stringify(redactValue(findings)), at);
      this.db
        .prepare(
          "UPDATE cases SET disposition = ?, confidence = ?, incomplete = ?, updated_at = ? WHERE id = ?",
        )
        .run(
          verdict.disposition,
          verdict.confidence,
          verdict.incomplete ? JSON.stringify(verdict.incomplete.failedTools) : null,
          at,
          caseId,
        );
    })();
  }

  saveActions(caseId: string, actions: ProposedAction[], decisions: PolicyDecision[]): void {
    const insert = this.db.prepare(
      `INSERT INTO actions (case_id, action_id, type, target, doc, decision, rule, reason, approvers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(case_id, action_id) DO UPDATE SET doc = excluded.doc, decision = excluded.decision, rule = excluded.rule,
         reason = excluded.reason, approvers = excluded.approvers`,
    );
    this.db.transaction(() => {
      for (const a of actions) {
        const d = decisions.find((x) => x.actionId === a.id);
        insert.run(
          caseId,
          a.id,
          a.type,
          a.target,
          JSON.stringify(a),
          d?.decision ?? null,
          d?.rule ?? null,
          d?.reason ?? null,
          JSON.stringify(d?.approvers ?? []),
        );
      }
    })();
  }

  recordApproval(caseId: string, approval: Approval): void {
    this.db
      .prepare(
        "INSERT INTO approvals (case_id, approved, by, action_ids, comment, at) VALUES (?, ?, ?, ?, ?, ?)",
      )
      .run(
        caseId,
        approval.approved ? 1 : 0,
        approval.by,
        JSON.stringify(approval.actionIds),
        approval.comment,
        approval.at,
      );
  }

  countExecutions(type: string, since: Date): number {
    const row = this.db
      .prepare(
        `SELECT COUNT(*) AS n FROM action_runs r JOIN actions a ON a.case_id = r.case_id AND a.action_id = r.action_id
         WHERE a.type = ? AND r.status = 'executed' AND r.finished_at >= ?`,
      )
      .get(type, since.toISOString());
    return countRowSchema.parse(row).n;
  }

  claimAction(caseId: string, actionId: string, idempotencyKey: string, entry?: AuditEntry): ClaimResult {
    // One INSERT is atomic in SQLite: of two processes racing on a key, exactly one inserts the row. The
    // intent and its audit row commit together.
    const inserted = this.transaction(() => {
      const run = this.db
        .prepare(
          "INSERT INTO action_runs (idempotency_key, case_id, action_id, status, started_at) VALUES (?, ?, ?, 'started', ?) ON CONFLICT(idempotency_key) DO NOTHING",
        )
        .run(idempotencyKey, caseId, actionId, this.stamp());
      if (run.changes === 1 && entry) this.audit(entry);
      return run;
    });
    if (inserted.changes === 1) return { claimed: true };
    const row = runRowSchema.parse(
      this.db
        .prepare("SELECT status, detail, case_id FROM action_runs WHERE idempotency_key = ?")
        .get(idempotencyKey),
    );
    return { claimed: false, status: row.status, detail: row.detail, caseId: row.case_id };
  }

  /**
   * Action runs left at 'started' (intent recorded, outcome never written) whose case nobody is working
   * on, with the action as proposed: recovery finishes them under the same idempotency key.
   */
  startedRuns(): Array<{ idempotencyKey: string; caseId: string; actionId: string; action: unknown }> {
    return this.db
      .prepare(
        `SELECT r.idempotency_key, r.case_id, r.action_id, a.doc FROM action_runs r
         JOIN cases c ON c.id = r.case_id
         LEFT JOIN actions a ON a.case_id = r.case_id AND a.action_id = r.action_id
         WHERE r.status = 'started' AND c.status <> 'investigating' ORDER BY r.started_at`,
      )
      .all()
      .map((raw) => startedRunSchema.parse(raw))
      .map((r) => ({
        idempotencyKey: r.idempotency_key,
        caseId: r.case_id,
        actionId: r.action_id,
        action: r.doc === null ? null : JSON.parse(r.doc),
      }));
  }

  completeAction(caseId: string, result: ActionResult, entry?: AuditEntry): void {
    // The outcome and its audit row commit together: neither exists without the other.
    this.transaction(() => {
      this.writeRun(caseId, result);
      if (entry) this.audit(entry);
    });
  }

  /** The latest answer recorded for a case, for recovery of a resume that died before finishing. */
  latestApproval(caseId: string): Approval | null {
    const row = this.db
      .prepare(
        "SELECT approved, by, action_ids, comment, at FROM approvals WHERE case_id = ? ORDER BY seq DESC LIMIT 1",
      )
      .get(caseId);
    if (row === undefined) return null;
    const r = approvalRowSchema.parse(row);
    return approvalSchema.parse({
      approved: r.approved === 1,
      by: r.by,
      actionIds: JSON.parse(r.action_ids),
      comment: r.comment,
      at: r.at,
    });
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

  private writeRun(caseId: string, result: ActionResult): void {
    this.db
      .prepare(
        `INSERT INTO action_runs (idempotency_key, case_id, action_id, status, detail, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(idempotency_key) DO UPDATE SET status = excluded.status, detail = excluded.detail, finished_at = excluded.finished_at,
           case_id = excluded.case_id, action_id = excluded.action_id`,
      )
      .run(
        result.idempotencyKey,
        caseId,
        result.actionId,
        result.status,
        redact(result.detail),
        result.at,
        result.at,
      );
  }

  /**
   * Drops a closed case's intermediate LangGraph checkpoints, keeping the latest (its report reads only
   * that one; a closed case never resumes). Without this each case keeps one full copy of its state per
   * graph step, about 300 kB, most of the case database. No-op when the checkpointer's tables are absent.
   */
  pruneCheckpoints(caseId: string): void {
    const tables = this.db
      .prepare(
        "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('checkpoints', 'writes')",
      )
      .get();
    if (countRowSchema.parse(tables).n < 2) return;
    this.db
      .transaction(() => {
        const latest = this.db
          .prepare(
            "SELECT checkpoint_id AS id FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = '' ORDER BY checkpoint_id DESC LIMIT 1",
          )
          .get(caseId);
        if (latest === undefined) return;
        const { id } = checkpointIdRowSchema.parse(latest);
        this.db.prepare("DELETE FROM writes WHERE thread_id = ? AND checkpoint_id <> ?").run(caseId, id);
        this.db.prepare("DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id <> ?").run(caseId, id);
      })
      .immediate();
  }

  takeCase(
    caseId: string,
    owner: string,
    leaseMs: number,
    options: { statuses: readonly string[]; onTaken?: () => void },
  ): boolean {
    // Through the audit log's transaction: an onTaken audit row reaches the head file and stream at commit.
    return this.transaction(() => this.leases.take(caseId, owner, leaseMs, options));
  }

  heartbeat(caseId: string, owner: string, leaseMs: number): () => void {
    return this.leases.heartbeat(caseId, owner, leaseMs);
  }

  releaseCase(caseId: string, owner: string): void {
    this.leases.release(caseId, owner);
  }

  orphanedCases(alertId?: string): Array<{ caseId: string; alertId: string }> {
    return this.leases.orphans(alertId === undefined ? {} : { alertId });
  }

  supersedeCases(oldCaseIds: readonly string[], successor: string): string[] {
    return this.transaction(() =>
      this.leases.supersede(oldCaseIds, successor, (caseId) =>
        this.audit({
          actor: "engine",
          event: "case.superseded",
          caseId,
          payload: { supersededBy: successor },
        }),
      ),
    );
  }

  setStatus(caseId: string, status: CaseStatus, extra: { error?: string } = {}): void {
    this.db
      .prepare("UPDATE cases SET status = ?, error = ?, updated_at = ? WHERE id = ?")
      .run(status, extra.error ?? null, this.stamp(), caseId);
  }

  /** Appends one keyed audit row; inside an outer transaction it commits (or rolls back) with it. */
  audit(entry: AuditEntry): void {
    this.auditLog.append(entry);
  }

  verifyAudit(options: { anchor?: SignedHead } = {}): AuditVerification {
    return this.auditLog.verify(options);
  }

  /** The signed head of the audit log now, to keep outside this machine. */
  auditAnchor(): SignedHead {
    return this.auditLog.anchor();
  }

  listCases(options: { limit?: number; status?: CaseStatus } = {}): CaseSummary[] {
    const limit = options.limit ?? 50;
    const rows = options.status
      ? this.db
          .prepare("SELECT * FROM cases WHERE status = ? ORDER BY created_at DESC, rowid DESC LIMIT ?")
          .all(options.status, limit)
      : this.db.prepare("SELECT * FROM cases ORDER BY created_at DESC, rowid DESC LIMIT ?").all(limit);
    return rows.map((r) => caseRowSchema.parse(r));
  }

  getCase(caseId: string): CaseSummary {
    const row = this.db.prepare("SELECT * FROM cases WHERE id = ?").get(caseId);
    if (row === undefined) throw new TriageError("NOT_FOUND", `no case ${caseId}`);
    return caseRowSchema.parse(row);
  }

  recordFeedback(caseId: string, feedback: { disposition: Disposition; by: string; comment: string }): void {
    this.getCase(caseId);
    this.transaction(() => {
      this.db
        .prepare("INSERT INTO feedback (case_id, disposition, by, comment, at) VALUES (?, ?, ?, ?, ?)")
        .run(caseId, feedback.disposition, feedback.by, feedback.comment, this.stamp());
      this.audit({
        actor: `analyst:${feedback.by}`,
        event: "case.feedback",
        caseId,
        payload: { disposition: feedback.disposition, comment: feedback.comment },
      });
    });
  }

  /** Status of each action run of a case, by action id. */
  actionRuns(caseId: string): Array<{ actionId: string; status: string; detail: string }> {
    return this.db
      .prepare("SELECT action_id, status, detail FROM action_runs WHERE case_id = ? ORDER BY started_at")
      .all(caseId)
      .map((r) => z.object({ action_id: z.string(), status: z.string(), detail: z.string() }).parse(r))
      .map((r) => ({ actionId: r.action_id, status: r.status, detail: r.detail }));
  }
}
