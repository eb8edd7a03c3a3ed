/**
 * The ports: what the agent talks to. Tool ports (alert source, SIEM, EDR, mail, identity, intel, response
 * actions) are implemented by the lab and the vendor adapters in tools/; the case-memory port by memory/.
 * Nodes do I/O only through these.
 */
import type {
  ActionResult,
  ActionType,
  Alert,
  AlertSummary,
  Approval,
  AuditEntry,
  CaseFeedback,
  CaseSummary,
  DirectoryUser,
  EdrDetection,
  Evidence,
  Finding,
  Host,
  InboxRule,
  IntelVerdict,
  InvestigationStep,
  MailboxMessage,
  MailSearchQuery,
  Observable,
  ObservableHistory,
  PolicyDecision,
  ProcessTree,
  ProposedAction,
  RelatedCase,
  ResponseOutcome,
  SiemEvent,
  SiemQuery,
  SignIn,
  Verdict,
  CaseStatus,
} from "./domain.ts";

// ---------------------------------------------------------------------------------------------------
// Tool ports
// ---------------------------------------------------------------------------------------------------

export interface CallOptions {
  signal?: AbortSignal;
}

/** Where alerts come from. */
export interface AlertSource {
  readonly name: string;
  /** Throws ToolError NOT_FOUND when the id is unknown. */
  getAlert(id: string, options?: CallOptions): Promise<Alert>;
  /** Alerts created after `since`, oldest first. */
  listAlerts(query: { since?: string; limit?: number }, options?: CallOptions): Promise<AlertSummary[]>;
}

export interface SiemSearch {
  readonly vendor: string;
  /** The logs describe a simulated organization (the embedded lab), not the deployment's own. */
  readonly simulated?: boolean;
  /**
   * Whether these logs are the history of the organization the alert is about, so that "first mail from
   * this sender" means something. Absent: yes (a deployment's own SIEM speaks for its alerts).
   */
  speaksFor?(alert: Alert): boolean;
  searchEvents(query: SiemQuery, options?: CallOptions): Promise<SiemEvent[]>;
}

export interface Edr {
  readonly vendor: string;
  /** null when the host is unknown. */
  getHost(hostname: string, options?: CallOptions): Promise<Host | null>;
  getProcessTree(hostId: string, processId: string, options?: CallOptions): Promise<ProcessTree | null>;
  listDetections(
    query: { hostId: string; since?: string; until?: string },
    options?: CallOptions,
  ): Promise<EdrDetection[]>;
}

export interface MailSearch {
  readonly vendor: string;
  findMessages(query: MailSearchQuery, options?: CallOptions): Promise<MailboxMessage[]>;
  /** The full RFC 5322 source, or null when the message is gone. */
  getRawMessage(mailbox: string, id: string, options?: CallOptions): Promise<string | null>;
  listInboxRules(mailbox: string, options?: CallOptions): Promise<InboxRule[]>;
}

export interface Identity {
  readonly vendor: string;
  getUser(userPrincipalName: string, options?: CallOptions): Promise<DirectoryUser | null>;
  listSignIns(
    query: { user: string; since: string; until: string; limit?: number },
    options?: CallOptions,
  ): Promise<SignIn[]>;
}

export interface ThreatIntel {
  readonly vendor: string;
  lookup(observable: Pick<Observable, "type" | "value">, options?: CallOptions): Promise<IntelVerdict>;
}

/**
 * Side effects. Only the run-actions node holds this port, and only after the policy gate. Implementations
 * must be idempotent on `idempotencyKey`: a second call with the same key reports already_done.
 */
export interface ResponseActions {
  readonly vendor: string;
  supports(type: ActionType): boolean;
  execute(
    action: ProposedAction,
    context: { idempotencyKey: string; signal?: AbortSignal },
  ): Promise<ResponseOutcome>;
}

/** Read-only tools the reasoners may use. */
export interface ReadOnlyToolset {
  siem: SiemSearch;
  edr: Edr;
  mail: MailSearch;
  identity: Identity;
  intel: ThreatIntel;
}

/** Everything a triage run talks to. */
export interface Toolset extends ReadOnlyToolset {
  alerts: AlertSource;
  actions: ResponseActions;
  close?(): void;
}

/** Where cached intel verdicts live (case memory implements it, on SQLite or PostgreSQL). */
export interface IntelCacheStore {
  get(vendor: string, type: string, key: string): Promise<{ verdict: unknown; fetchedAt: string } | null>;
  put(vendor: string, type: string, key: string, verdict: IntelVerdict, fetchedAt: string): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Case memory
// ---------------------------------------------------------------------------------------------------

export type ClaimResult =
  { claimed: true } | { claimed: false; status: string; detail: string; caseId: string };

/**
 * Audit rows a change carries. Every mutating method of CaseMemory appends them in the same transaction as
 * the change they describe: both commit or neither does.
 */
export type AuditEntries = AuditEntry | readonly AuditEntry[];

/**
 * The slice of case memory the graph writes and reads. Asynchronous, so a database that is reached over
 * the network (PostgreSQL) fits it; the contract every implementation passes is memory/contract.ts.
 */
export interface CaseMemory {
  /** Opens a case for an alert (stored with it, as given) and returns its id; `audit` gets the new id. */
  createCase(
    alert: Alert,
    options: { reasoner: string; owner?: string; leaseMs?: number; dryRun?: boolean },
    audit?: (caseId: string) => AuditEntries,
  ): Promise<string>;
  recall(caseId: string, alert: Alert): Promise<{ related: RelatedCase[]; history: ObservableHistory[] }>;
  addEvidence(
    caseId: string,
    evidence: Evidence[],
    steps: InvestigationStep[],
    audit?: AuditEntries,
  ): Promise<void>;
  saveVerdict(caseId: string, verdict: Verdict, findings: Finding[], audit?: AuditEntries): Promise<void>;
  saveActions(
    caseId: string,
    actions: ProposedAction[],
    decisions: PolicyDecision[],
    audit?: AuditEntries,
  ): Promise<void>;
  recordApproval(caseId: string, approval: Approval, audit?: AuditEntries): Promise<void>;
  /** Executions of an action type (not dry runs) since a time, for policy rate limits. */
  countExecutions(type: string, since: Date): Promise<number>;
  /**
   * Exactly-once: the first caller for a key claims it; later callers see the earlier attempt. `audit` is
   * appended only by the caller that claims. The claim is on stable storage when this resolves, since a
   * side effect follows that must not run twice after a power cut; a dry run, which touches nothing,
   * passes `durable: false`.
   */
  claimAction(
    caseId: string,
    actionId: string,
    idempotencyKey: string,
    audit?: AuditEntries,
    options?: { durable?: boolean },
  ): Promise<ClaimResult>;
  /** Records an action's outcome. */
  completeAction(caseId: string, result: ActionResult, audit?: AuditEntries): Promise<void>;
  latestApproval(caseId: string): Promise<Approval | null>;
  openedWith(caseId: string): Promise<{ alert: unknown; dryRun: boolean }>;
  /** Started action runs whose case nobody works on, for recovery. */
  startedRuns(): Promise<
    Array<{ idempotencyKey: string; caseId: string; actionId: string; action: unknown }>
  >;
  /** Keeps the final report of a closed case and drops its checkpoints (a closed case never resumes). */
  pruneCheckpoints(caseId: string, report: unknown): Promise<void>;
  /** The report pruneCheckpoints kept for a case (unparsed), or null. */
  closedReport(caseId: string): Promise<unknown>;
  /**
   * Takes a case for `owner` when its status is one of `statuses` or it is orphaned (its owner died);
   * true for exactly one of several racing callers. Only when taken, `approval` is recorded and `audit`
   * appended, in the same transaction as the take.
   */
  takeCase(
    caseId: string,
    owner: string,
    leaseMs: number,
    options: { statuses: readonly string[]; approval?: Approval; audit?: AuditEntries },
  ): Promise<boolean>;
  /** Renews the owner's lease in the background until the returned function is called. */
  heartbeat(caseId: string, owner: string, leaseMs: number): () => void;
  releaseCase(caseId: string, owner: string): Promise<void>;
  /** Cases left 'investigating' by a process that is gone, oldest first; optionally one alert's. */
  orphanedCases(alertId?: string): Promise<Array<{ caseId: string; alertId: string }>>;
  /**
   * Closes the orphaned cases among `oldCaseIds` as superseded by `successor`, each with a
   * case.superseded audit row; returns those closed.
   */
  supersedeCases(oldCaseIds: readonly string[], successor: string): Promise<string[]>;
  setStatus(
    caseId: string,
    status: CaseStatus,
    extra?: { error?: string },
    audit?: AuditEntries,
  ): Promise<void>;
  /** One case; rejects with TriageError NOT_FOUND when there is none. */
  getCase(caseId: string): Promise<CaseSummary>;
  /** The newest cases first (default 50), optionally only those in one status. */
  listCases(options?: { limit?: number; status?: CaseStatus }): Promise<CaseSummary[]>;
  /** Records an analyst's disposition with its case.feedback audit row; NOT_FOUND for an unknown case. */
  recordFeedback(caseId: string, feedback: CaseFeedback): Promise<void>;
  /** Appends a stand-alone row to the keyed audit log. */
  audit(entry: AuditEntry): Promise<void>;
  /**
   * From now on, the record of `caseId`'s investigation (evidence, verdict, proposed actions and
   * decisions, dry-run outcomes, stand-alone audit rows) is held in this process and committed with the
   * case's next write that must land at once (an action's claim, a real action's outcome, an approval, a
   * status), in that write's transaction, in the order given; a read of the case sees it first. One
   * transaction per node cost a case about twelve. Another process sees the record when the case next
   * commits; a process that dies loses what it held, as it loses the run itself (the case is
   * investigated again from its alert). `commit` commits what is still held and stops deferring;
   * `discard` drops it and stops (a case that failed on a held write records its failure alone).
   */
  deferWrites(caseId: string): { commit(): Promise<void>; discard(): void };
}

// ---------------------------------------------------------------------------------------------------
// Alert queue
// ---------------------------------------------------------------------------------------------------

/** One queued unit of work: an alert of a source, to be triaged by whichever worker takes it. */
export interface QueuedAlert {
  source: string;
  alertId: string;
}

export interface EnqueueResult {
  /** New jobs. */
  enqueued: number;
  /** Alerts already waiting or in flight in the queue: not queued a second time. */
  alreadyQueued: number;
}

/** What a worker made of one queued alert; kept with the job as its output. */
export type QueuedOutcome =
  | { status: "done"; caseId: string; disposition: string; awaitingApproval: boolean }
  | { status: "skipped"; reason: string };

export interface WorkOptions {
  /** Alerts in flight at once in this process. */
  concurrency: number;
  /** Once aborted, no new job is taken; work() resolves when the jobs in flight have settled. */
  signal: AbortSignal;
  /** How long an idle slot waits before asking the queue again. */
  pollMs?: number;
}

/**
 * A durable queue of alerts shared by any number of worker processes, on any number of machines. A job is
 * handed to one worker at a time; one that throws fails that job alone (its message is kept with it), and
 * a job whose worker died is handed out again once it expires. Exactly-once triage does not rest on the
 * queue: workers claim each alert in case memory before they triage it.
 */
export interface AlertQueue {
  enqueue(alerts: readonly QueuedAlert[]): Promise<EnqueueResult>;
  work(handler: (alert: QueuedAlert) => Promise<QueuedOutcome>, options: WorkOptions): Promise<void>;
  close(): Promise<void>;
}
