/**
 * Case memory over SQLite: SqliteCaseMemory implements the CaseMemory port by composing one module per
 * job: cases (lifecycle and reads), recall, case records (evidence, verdicts, actions, approvals), action
 * runs (exactly-once claims), feedback, leases, the audit log and checkpoint pruning. It owns the
 * transactions: a change and the audit row that describes it commit together.
 */
import type {
  ActionResult,
  Alert,
  Approval,
  AuditEntry,
  CaseStatus,
  Evidence,
  Finding,
  InvestigationStep,
  ObservableHistory,
  PolicyDecision,
  ProposedAction,
  RelatedCase,
  Verdict,
} from "../core/domain.ts";
import type { CaseMemory, ClaimResult } from "../core/ports.ts";
import { ActionRuns } from "./action-runs.ts";
import { AuditLog, defaultAuditSettings, type AuditSettings } from "./audit.ts";
import type { SignedHead } from "./audit-key.ts";
import type { AuditVerification } from "./audit-verify.ts";
import { CaseLeases } from "./case-leases.ts";
import { CaseRecords } from "./case-records.ts";
import { Cases, type CaseSummary } from "./cases.ts";
import { pruneCaseCheckpoints } from "./checkpoints.ts";
import type { CaseDatabase } from "./db.ts";
import { insertFeedback, type Feedback } from "./feedback.ts";
import { recall } from "./recall.ts";

export { caseSummarySchema, type CaseSummary } from "./cases.ts";

export class SqliteCaseMemory implements CaseMemory {
  private readonly db: CaseDatabase;
  private readonly now: () => Date;
  private readonly auditLog: AuditLog;
  private readonly cases: Cases;
  private readonly records: CaseRecords;
  private readonly runs: ActionRuns;
  /** Case ownership: who works on which case, and which cases were left behind by a dead process. */
  readonly leases: CaseLeases;

  /** `audit` says where the audit key and head live; by default beside the database file. */
  constructor(db: CaseDatabase, options: { now: () => Date; audit?: AuditSettings }) {
    this.db = db;
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
   * Runs `work` in one immediate transaction, so a state change and its audit row commit together or not
   * at all: `memory.transaction(() => { memory.saveVerdict(...); memory.audit(...) })`. Nests as a
   * savepoint inside another transaction.
   */
  transaction<T>(work: () => T): T {
    return this.auditLog.transaction(work);
  }

  createCase(
    alert: Alert,
    options: { reasoner: string; owner?: string; leaseMs?: number; dryRun?: boolean },
  ): string {
    return this.cases.create(alert, options);
  }

  saveAlert(caseId: string, alert: Alert): void {
    this.cases.saveAlert(caseId, alert);
  }

  recall(caseId: string, alert: Alert): { related: RelatedCase[]; history: ObservableHistory[] } {
    return recall(this.db, this.now(), caseId, alert);
  }

  addEvidence(caseId: string, evidence: Evidence[], steps: InvestigationStep[]): void {
    this.records.addEvidence(caseId, evidence, steps);
  }

  saveVerdict(caseId: string, verdict: Verdict, findings: Finding[]): void {
    this.records.saveVerdict(caseId, verdict, findings);
  }

  saveActions(caseId: string, actions: ProposedAction[], decisions: PolicyDecision[]): void {
    this.records.saveActions(caseId, actions, decisions);
  }

  recordApproval(caseId: string, approval: Approval): void {
    this.records.recordApproval(caseId, approval);
  }

  countExecutions(type: string, since: Date): number {
    return this.runs.countExecutions(type, since);
  }

  claimAction(caseId: string, actionId: string, idempotencyKey: string, entry?: AuditEntry): ClaimResult {
    // The intent and its audit row commit together.
    const claimed = this.transaction(() => {
      const inserted = this.runs.claim(caseId, actionId, idempotencyKey);
      if (inserted && entry) this.audit(entry);
      return inserted;
    });
    return claimed ? { claimed: true } : this.runs.existing(idempotencyKey);
  }

  startedRuns(): Array<{ idempotencyKey: string; caseId: string; actionId: string; action: unknown }> {
    return this.runs.started();
  }

  completeAction(caseId: string, result: ActionResult, entry?: AuditEntry): void {
    // The outcome and its audit row commit together: neither exists without the other.
    this.transaction(() => {
      this.runs.complete(caseId, result);
      if (entry) this.audit(entry);
    });
  }

  latestApproval(caseId: string): Approval | null {
    return this.records.latestApproval(caseId);
  }

  openedWith(caseId: string): { alert: unknown; dryRun: boolean } {
    return this.cases.openedWith(caseId);
  }

  async pruneCheckpoints(caseId: string): Promise<void> {
    await pruneCaseCheckpoints(this.db, caseId);
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
    this.cases.setStatus(caseId, status, extra);
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
    return this.cases.list(options);
  }

  getCase(caseId: string): CaseSummary {
    return this.cases.get(caseId);
  }

  recordFeedback(caseId: string, feedback: Feedback): void {
    this.getCase(caseId);
    this.transaction(() => {
      insertFeedback(this.db, caseId, feedback, this.now());
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
    return this.runs.ofCase(caseId);
  }
}
