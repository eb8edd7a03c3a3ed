/**
 * Case memory over SQLite: SqliteCaseMemory implements the CaseMemory port by composing one module per
 * job: cases (lifecycle and reads), recall, case records (evidence, verdicts, actions, approvals), action
 * runs (exactly-once claims), feedback, leases, the audit log and checkpoint pruning. It owns the
 * transactions: better-sqlite3 is synchronous, so each method does its work in one synchronous
 * transaction, with the audit rows it was given, and answers with a settled Promise.
 */
import type {
  ActionResult,
  Alert,
  Approval,
  AuditEntry,
  CaseFeedback,
  CaseStatus,
  CaseSummary,
  Evidence,
  Finding,
  InvestigationStep,
  ObservableHistory,
  PolicyDecision,
  ProposedAction,
  RelatedCase,
  Verdict,
} from "../core/domain.ts";
import type { AuditEntries, CaseMemory, ClaimResult } from "../core/ports.ts";
import { ActionRuns } from "./action-runs.ts";
import { AuditLog, defaultAuditSettings, type AuditSettings } from "./audit.ts";
import type { SignedHead } from "./audit-key.ts";
import type { AuditVerification } from "./audit-verify.ts";
import { CaseLeases } from "./case-leases.ts";
import { CaseRecords } from "./case-records.ts";
import { Cases } from "./cases.ts";
import { caseReportOf, closeCaseCheckpoints } from "./case-reports.ts";
import { createSqliteDriver, type SqliteSqlDriver } from "./sql/sqlite-driver.ts";
import type { CaseDatabase } from "./db.ts";
import { insertFeedback } from "./feedback.ts";
import { recall } from "./recall.ts";

type StartedRun = { idempotencyKey: string; caseId: string; actionId: string; action: unknown };

export class SqliteCaseMemory implements CaseMemory {
  private readonly db: CaseDatabase;
  private readonly now: () => Date;
  private readonly auditLog: AuditLog;
  private readonly cases: Cases;
  private readonly records: CaseRecords;
  private readonly runs: ActionRuns;
  /** Case ownership: who works on which case, and which cases were left behind by a dead process. */
  readonly leases: CaseLeases;

  /** The async driver over the same connection (checkpoint pruning); shared with the app's saver. */
  private readonly driver: SqliteSqlDriver;

  /** `audit` says where the audit key and head live; by default beside the database file. */
  constructor(
    db: CaseDatabase,
    options: { now: () => Date; audit?: AuditSettings; driver?: SqliteSqlDriver },
  ) {
    this.db = db;
    this.driver = options.driver ?? createSqliteDriver(db, db.name);
    this.now = options.now;
    this.cases = new Cases(db, options);
    this.records = new CaseRecords(db, options);
    this.runs = new ActionRuns(db, options);
    this.leases = new CaseLeases(db, options);
    this.auditLog = new AuditLog(db, {
      now: options.now,
      settings: options.audit ?? defaultAuditSettings(db.name),
    });
  }

  /**
   * Runs `work` and appends `audit` in one immediate transaction, so a change and the rows that describe it
   * commit together or not at all. Through the audit log's transaction, so the rows reach the head file
   * and stream at commit.
   */
  private write<T>(work: () => T, audit?: AuditEntries): T {
    return this.auditLog.transaction(() => {
      const result = work();
      this.append(audit);
      return result;
    });
  }

  /**
   * The synchronous transaction and audit log of this SQLite file, for stores that share the file and
   * must commit with its audit rows (memory/campaigns.ts). Not part of the CaseMemory port: a store on
   * another engine brings its own.
   */
  sqliteAudit(): { transaction<T>(work: () => T): T; audit(entry: AuditEntry): void } {
    return {
      transaction: (work) => this.auditLog.transaction(work),
      audit: (entry) => this.auditLog.append(entry),
    };
  }

  private append(audit: AuditEntries | undefined): void {
    if (audit === undefined) return;
    for (const entry of Array.isArray(audit) ? audit : [audit]) this.auditLog.append(entry);
  }

  async createCase(
    alert: Alert,
    options: { reasoner: string; owner?: string; leaseMs?: number; dryRun?: boolean },
    audit?: (caseId: string) => AuditEntries,
  ): Promise<string> {
    return this.write(() => {
      const caseId = this.cases.create(alert, options);
      this.append(audit?.(caseId));
      return caseId;
    });
  }

  async recall(
    caseId: string,
    alert: Alert,
  ): Promise<{ related: RelatedCase[]; history: ObservableHistory[] }> {
    return recall(this.db, this.now(), caseId, alert);
  }

  async addEvidence(
    caseId: string,
    evidence: Evidence[],
    steps: InvestigationStep[],
    audit?: AuditEntries,
  ): Promise<void> {
    this.write(() => this.records.addEvidence(caseId, evidence, steps), audit);
  }

  async saveVerdict(
    caseId: string,
    verdict: Verdict,
    findings: Finding[],
    audit?: AuditEntries,
  ): Promise<void> {
    this.write(() => this.records.saveVerdict(caseId, verdict, findings), audit);
  }

  async saveActions(
    caseId: string,
    actions: ProposedAction[],
    decisions: PolicyDecision[],
    audit?: AuditEntries,
  ): Promise<void> {
    this.write(() => this.records.saveActions(caseId, actions, decisions), audit);
  }

  async recordApproval(caseId: string, approval: Approval, audit?: AuditEntries): Promise<void> {
    this.write(() => this.records.recordApproval(caseId, approval), audit);
  }

  async countExecutions(type: string, since: Date): Promise<number> {
    return this.runs.countExecutions(type, since);
  }

  async claimAction(
    caseId: string,
    actionId: string,
    idempotencyKey: string,
    audit?: AuditEntries,
  ): Promise<ClaimResult> {
    // The intent and its audit row commit together; only the caller that inserted it writes the row.
    const claimed = this.write(() => {
      const inserted = this.runs.claim(caseId, actionId, idempotencyKey);
      if (inserted) this.append(audit);
      return inserted;
    });
    return claimed ? { claimed: true } : this.runs.existing(idempotencyKey);
  }

  async startedRuns(): Promise<StartedRun[]> {
    return this.runs.started();
  }

  async completeAction(caseId: string, result: ActionResult, audit?: AuditEntries): Promise<void> {
    this.write(() => this.runs.complete(caseId, result), audit);
  }

  async latestApproval(caseId: string): Promise<Approval | null> {
    return this.records.latestApproval(caseId);
  }

  async openedWith(caseId: string): Promise<{ alert: unknown; dryRun: boolean }> {
    return this.cases.openedWith(caseId);
  }

  async pruneCheckpoints(caseId: string, report: unknown): Promise<void> {
    await closeCaseCheckpoints(this.driver, caseId, report);
  }

  async closedReport(caseId: string): Promise<unknown> {
    return caseReportOf(this.driver, caseId);
  }

  async takeCase(
    caseId: string,
    owner: string,
    leaseMs: number,
    options: { statuses: readonly string[]; approval?: Approval; audit?: AuditEntries },
  ): Promise<boolean> {
    return this.write(() =>
      this.leases.take(caseId, owner, leaseMs, {
        statuses: options.statuses,
        onTaken: () => {
          if (options.approval) this.records.recordApproval(caseId, options.approval);
          this.append(options.audit);
        },
      }),
    );
  }

  heartbeat(caseId: string, owner: string, leaseMs: number): () => void {
    return this.leases.heartbeat(caseId, owner, leaseMs);
  }

  async releaseCase(caseId: string, owner: string): Promise<void> {
    this.leases.release(caseId, owner);
  }

  async orphanedCases(alertId?: string): Promise<Array<{ caseId: string; alertId: string }>> {
    return this.leases.orphans(alertId === undefined ? {} : { alertId });
  }

  async supersedeCases(oldCaseIds: readonly string[], successor: string): Promise<string[]> {
    return this.write(() =>
      this.leases.supersede(oldCaseIds, successor, (caseId) =>
        this.append({
          actor: "engine",
          event: "case.superseded",
          caseId,
          payload: { supersededBy: successor },
        }),
      ),
    );
  }

  async setStatus(
    caseId: string,
    status: CaseStatus,
    extra: { error?: string } = {},
    audit?: AuditEntries,
  ): Promise<void> {
    this.write(() => this.cases.setStatus(caseId, status, extra), audit);
  }

  async audit(entry: AuditEntry): Promise<void> {
    this.auditLog.append(entry);
  }

  /** Recomputes the audit chain and checks its head file and, when given, an exported anchor. */
  verifyAudit(options: { anchor?: SignedHead } = {}): AuditVerification {
    return this.auditLog.verify(options);
  }

  /** The signed head of the audit log now, to keep outside this machine. */
  auditAnchor(): SignedHead {
    return this.auditLog.anchor();
  }

  async listCases(options: { limit?: number; status?: CaseStatus } = {}): Promise<CaseSummary[]> {
    return this.cases.list(options);
  }

  async getCase(caseId: string): Promise<CaseSummary> {
    return this.cases.get(caseId);
  }

  async recordFeedback(caseId: string, feedback: CaseFeedback): Promise<void> {
    this.cases.get(caseId);
    this.write(() => insertFeedback(this.db, caseId, feedback, this.now()), {
      actor: `analyst:${feedback.by}`,
      event: "case.feedback",
      caseId,
      payload: { disposition: feedback.disposition, comment: feedback.comment },
    });
  }

  /** Status of each action run of a case, by action id. */
  async actionRuns(caseId: string): Promise<Array<{ actionId: string; status: string; detail: string }>> {
    return this.runs.ofCase(caseId);
  }
}
