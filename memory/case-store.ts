/**
 * Case memory over SQL: SqlCaseMemory implements the CaseMemory port on one async driver, SQLite or
 * PostgreSQL alike, by composing one module per job: cases (lifecycle and reads), recall, case records
 * (evidence, verdicts, actions, approvals), action runs (exactly-once claims), feedback, leases, the audit
 * log and checkpoint pruning. It owns the transactions: each mutating call does its work and appends the
 * audit rows it was given in one driver transaction, so both commit or neither does. A case whose writes
 * are deferred (deferWrites: a run in progress) holds its record and commits it with its next write that
 * must land at once.
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
import { AuditLog, defaultAuditSettings, entriesOf, type AuditSettings, type Auditor } from "./audit.ts";
import type { SignedHead } from "./audit-key.ts";
import type { AuditVerification } from "./audit-verify.ts";
import { CaseLeases } from "./case-leases.ts";
import { CaseRecords } from "./case-records.ts";
import { Cases } from "./cases.ts";
import { caseReportOf, closeCaseCheckpoints } from "./case-reports.ts";
import type { CaseDatabase } from "./db.ts";
import { insertFeedback } from "./feedback.ts";
import { recall } from "./recall.ts";
import type { CaseDatabaseDriver } from "./sql/open.ts";
import { createSqliteDriver } from "./sql/sqlite-driver.ts";

type StartedRun = { idempotencyKey: string; caseId: string; actionId: string; action: unknown };

/** A write held back by deferWrites: its statements and the audit rows that describe it. */
interface HeldWrite {
  work: () => Promise<unknown>;
  audit: AuditEntries | undefined;
}

export interface SqlCaseMemoryOptions {
  now: () => Date;
  /** Where the audit key and head live; by default beside a database file (none for PostgreSQL). */
  audit?: AuditSettings;
}

export class SqlCaseMemory implements CaseMemory {
  /** The driver every module writes through; shared with the app's saver, intel cache and stores. */
  readonly driver: CaseDatabaseDriver;
  private readonly now: () => Date;
  private readonly auditLog: AuditLog;
  private readonly cases: Cases;
  private readonly records: CaseRecords;
  private readonly runs: ActionRuns;
  /** Case ownership: who works on which case, and which cases were left behind by a dead process. */
  readonly leases: CaseLeases;
  /** Per case whose writes are deferred (deferWrites): what is held, in order. */
  private readonly held = new Map<string, HeldWrite[]>();

  constructor(driver: CaseDatabaseDriver, options: SqlCaseMemoryOptions) {
    this.driver = driver;
    this.now = options.now;
    this.cases = new Cases(driver, options);
    this.records = new CaseRecords(driver, options);
    this.runs = new ActionRuns(driver, options);
    this.leases = new CaseLeases(driver, options);
    this.auditLog = new AuditLog(driver, {
      now: options.now,
      settings: options.audit ?? defaultAuditSettings(driver.where),
    });
  }

  /**
   * Runs `work` and appends `audit` in one driver transaction, so a change and the rows that describe it
   * commit together or not at all; the head file and stream have them when this resolves. Inside a
   * caller's transaction it joins it (a savepoint), and the head file follows the caller's commit.
   */
  private async write<T>(work: () => Promise<T>, audit?: AuditEntries, caseId?: string): Promise<T> {
    const outermost = !this.driver.inTransaction();
    // What the case holds goes first, in this transaction: its record lands before, or with, this write.
    const held = caseId === undefined ? [] : this.takeHeld(caseId);
    let result: T;
    try {
      result = await this.driver.transaction(async () => {
        for (const write of held) await write.work();
        // One append for all the held rows: each append reads the chain's last link first.
        await this.auditLog.append(held.flatMap((write) => entriesOf(write.audit)));
        const value = await work();
        await this.auditLog.append(audit);
        return value;
      });
    } catch (error) {
      // Rolled back: held again, ahead of anything deferred meanwhile, for the case's next write.
      if (caseId !== undefined && held.length) this.held.get(caseId)?.unshift(...held);
      throw error;
    }
    // Awaited only outermost: inside a transaction, the head file's reads would wait for its end.
    if (outermost) await this.auditLog.caughtUp();
    return result;
  }

  /** Holds a write of `caseId` when its writes are deferred; false when it must be written now. */
  private hold(caseId: string, work: () => Promise<unknown>, audit?: AuditEntries): boolean {
    const held = this.held.get(caseId);
    if (!held) return false;
    held.push({ work, audit });
    return true;
  }

  private takeHeld(caseId: string): HeldWrite[] {
    const held = this.held.get(caseId);
    return held ? held.splice(0) : [];
  }

  /** Commits what `caseId` holds, if anything, before a read of it or a write that bypasses write(). */
  private async commitHeld(caseId: string): Promise<void> {
    if (this.held.get(caseId)?.length) await this.write(async () => undefined, undefined, caseId);
  }

  deferWrites(caseId: string): { commit(): Promise<void>; discard(): void } {
    if (!this.held.has(caseId)) this.held.set(caseId, []);
    return {
      commit: async () => {
        await this.commitHeld(caseId);
        this.held.delete(caseId);
      },
      discard: () => void this.held.delete(caseId),
    };
  }

  /**
   * Appends audit rows inside the caller's `driver.transaction`, for stores that share this database and
   * must commit with its audit rows (campaigns on the driver). Not part of the CaseMemory port.
   */
  auditor(): Auditor {
    return { append: (entries) => this.auditLog.append(entries) };
  }

  async createCase(
    alert: Alert,
    options: { reasoner: string; owner?: string; leaseMs?: number; dryRun?: boolean },
    audit?: (caseId: string) => AuditEntries,
  ): Promise<string> {
    return this.write(async () => {
      const caseId = await this.cases.create(alert, options);
      await this.auditLog.append(audit?.(caseId));
      return caseId;
    });
  }

  async recall(
    caseId: string,
    alert: Alert,
  ): Promise<{ related: RelatedCase[]; history: ObservableHistory[] }> {
    return recall(this.driver, this.now(), caseId, alert);
  }

  async addEvidence(
    caseId: string,
    evidence: Evidence[],
    steps: InvestigationStep[],
    audit?: AuditEntries,
  ): Promise<void> {
    const work = () => this.records.addEvidence(caseId, evidence, steps);
    if (!this.hold(caseId, work, audit)) await this.write(work, audit);
  }

  async saveVerdict(
    caseId: string,
    verdict: Verdict,
    findings: Finding[],
    audit?: AuditEntries,
  ): Promise<void> {
    const work = () => this.records.saveVerdict(caseId, verdict, findings);
    if (!this.hold(caseId, work, audit)) await this.write(work, audit);
  }

  async saveActions(
    caseId: string,
    actions: ProposedAction[],
    decisions: PolicyDecision[],
    audit?: AuditEntries,
  ): Promise<void> {
    const work = () => this.records.saveActions(caseId, actions, decisions);
    if (!this.hold(caseId, work, audit)) await this.write(work, audit);
  }

  async recordApproval(caseId: string, approval: Approval, audit?: AuditEntries): Promise<void> {
    await this.write(() => this.records.recordApproval(caseId, approval), audit, caseId);
  }

  async countExecutions(type: string, since: Date): Promise<number> {
    return this.runs.countExecutions(type, since);
  }

  async claimAction(
    caseId: string,
    actionId: string,
    idempotencyKey: string,
    audit?: AuditEntries,
    options: { durable?: boolean } = {},
  ): Promise<ClaimResult> {
    // The intent and its audit row commit together; only the caller that inserted it writes the row.
    const claimed = await this.write(
      async () => {
        const inserted = await this.runs.claim(caseId, actionId, idempotencyKey);
        if (inserted) await this.auditLog.append(audit);
        return inserted;
      },
      undefined,
      caseId,
    );
    if (!claimed) return this.runs.existing(idempotencyKey);
    if (options.durable ?? true) await this.driver.flush();
    return { claimed: true };
  }

  async startedRuns(): Promise<StartedRun[]> {
    return this.runs.started();
  }

  async completeAction(caseId: string, result: ActionResult, audit?: AuditEntries): Promise<void> {
    const work = () => this.runs.complete(caseId, result);
    // What happened in the world is recorded at once; a dry run's outcome can wait with the record.
    if (result.status === "dry_run" && this.hold(caseId, work, audit)) return;
    await this.write(work, audit, caseId);
  }

  async latestApproval(caseId: string): Promise<Approval | null> {
    await this.commitHeld(caseId);
    return this.records.latestApproval(caseId);
  }

  async openedWith(caseId: string): Promise<{ alert: unknown; dryRun: boolean }> {
    await this.commitHeld(caseId);
    return this.cases.openedWith(caseId);
  }

  async pruneCheckpoints(caseId: string, report: unknown): Promise<void> {
    await this.commitHeld(caseId);
    await closeCaseCheckpoints(this.driver, caseId, report);
  }

  async closedReport(caseId: string): Promise<unknown> {
    await this.commitHeld(caseId);
    return caseReportOf(this.driver, caseId);
  }

  async takeCase(
    caseId: string,
    owner: string,
    leaseMs: number,
    options: { statuses: readonly string[]; approval?: Approval; audit?: AuditEntries },
  ): Promise<boolean> {
    return this.write(
      () =>
        this.leases.take(caseId, owner, leaseMs, {
          statuses: options.statuses,
          onTaken: async () => {
            if (options.approval) await this.records.recordApproval(caseId, options.approval);
            await this.auditLog.append(options.audit);
          },
        }),
      undefined,
      caseId,
    );
  }

  heartbeat(caseId: string, owner: string, leaseMs: number): () => void {
    return this.leases.heartbeat(caseId, owner, leaseMs);
  }

  async releaseCase(caseId: string, owner: string): Promise<void> {
    await this.commitHeld(caseId);
    await this.leases.release(caseId, owner);
  }

  async orphanedCases(alertId?: string): Promise<Array<{ caseId: string; alertId: string }>> {
    return this.leases.orphans(alertId === undefined ? {} : { alertId });
  }

  async supersedeCases(oldCaseIds: readonly string[], successor: string): Promise<string[]> {
    return this.write(() =>
      this.leases.supersede(oldCaseIds, successor, (caseId) =>
        this.auditLog.append({
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
    await this.write(() => this.cases.setStatus(caseId, status, extra), audit, caseId);
  }

  async audit(entry: AuditEntry): Promise<void> {
    if (entry.caseId !== null && this.hold(entry.caseId, async () => undefined, entry)) return;
    await this.auditLog.append(entry);
  }

  /** Resolves once every committed audit row is in the head file and the stream: wait for it before closing. */
  settled(): Promise<void> {
    return this.auditLog.settled();
  }

  /** Recomputes the audit chain and checks its head file and, when given, an exported anchor. */
  verifyAudit(options: { anchor?: SignedHead } = {}): Promise<AuditVerification> {
    return this.auditLog.verify(options);
  }

  /** The signed head of the audit log now, to keep outside this machine. */
  auditAnchor(): Promise<SignedHead> {
    return this.auditLog.anchor();
  }

  async listCases(options: { limit?: number; status?: CaseStatus } = {}): Promise<CaseSummary[]> {
    return this.cases.list(options);
  }

  async getCase(caseId: string): Promise<CaseSummary> {
    await this.commitHeld(caseId);
    return this.cases.get(caseId);
  }

  async recordFeedback(caseId: string, feedback: CaseFeedback): Promise<void> {
    await this.getCase(caseId);
    await this.write(
      () => insertFeedback(this.driver, caseId, feedback, this.now()),
      {
        actor: `analyst:${feedback.by}`,
        event: "case.feedback",
        caseId,
        payload: { disposition: feedback.disposition, comment: feedback.comment },
      },
      caseId,
    );
  }

  /** Status of each action run of a case, by action id. */
  async actionRuns(caseId: string): Promise<Array<{ actionId: string; status: string; detail: string }>> {
    await this.commitHeld(caseId);
    return this.runs.ofCase(caseId);
  }
}

/**
 * SqlCaseMemory over an open better-sqlite3 connection (tests, benchmarks, the SQLite CLI).
 */
export class SqliteCaseMemory extends SqlCaseMemory {
  constructor(
    db: CaseDatabase,
    options: SqlCaseMemoryOptions & { driver?: ReturnType<typeof createSqliteDriver> },
  ) {
    super(options.driver ?? createSqliteDriver(db, db.name), {
      now: options.now,
      audit: options.audit ?? defaultAuditSettings(db.name),
    });
  }
}
