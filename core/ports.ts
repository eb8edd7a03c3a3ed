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

/** The slice of case memory the graph writes and reads. */
export interface CaseMemory {
  /** Opens a case for an alert (stored with it, as given) and returns its id. */
  createCase(
    alert: Alert,
    options: { reasoner: string; owner?: string; leaseMs?: number; dryRun?: boolean },
  ): string;
  recall(caseId: string, alert: Alert): { related: RelatedCase[]; history: ObservableHistory[] };
  addEvidence(caseId: string, evidence: Evidence[], steps: InvestigationStep[]): void;
  saveVerdict(caseId: string, verdict: Verdict, findings: Finding[]): void;
  saveActions(caseId: string, actions: ProposedAction[], decisions: PolicyDecision[]): void;
  recordApproval(caseId: string, approval: Approval): void;
  /** Executions of an action type (not dry runs) since a time, for policy rate limits. */
  countExecutions(type: string, since: Date): number;
  /** Exactly-once: the first caller for a key claims it; later callers see the earlier attempt. */
  claimAction(caseId: string, actionId: string, idempotencyKey: string, audit?: AuditEntry): ClaimResult;
  /** Records an action's outcome; `audit` is appended in the same transaction. */
  completeAction(caseId: string, result: ActionResult, audit?: AuditEntry): void;
  latestApproval(caseId: string): Approval | null;
  openedWith(caseId: string): { alert: unknown; dryRun: boolean };
  /** Started action runs whose case nobody works on, for recovery. */
  startedRuns(): Array<{ idempotencyKey: string; caseId: string; actionId: string; action: unknown }>;
  /** Keeps only the latest checkpoint of a closed case (its report needs no other). */
  pruneCheckpoints(caseId: string): void;
  /**
   * Takes a case for `owner` when its status is one of `statuses` or it is orphaned (its owner died);
   * true for exactly one of several racing callers. `onTaken` runs in the same transaction.
   */
  takeCase(
    caseId: string,
    owner: string,
    leaseMs: number,
    options: { statuses: readonly string[]; onTaken?: () => void },
  ): boolean;
  /** Renews the owner's lease until the returned function is called. */
  heartbeat(caseId: string, owner: string, leaseMs: number): () => void;
  releaseCase(caseId: string, owner: string): void;
  /** Cases left 'investigating' by a process that is gone, oldest first; optionally one alert's. */
  orphanedCases(alertId?: string): Array<{ caseId: string; alertId: string }>;
  /** Closes the orphaned cases among `oldCaseIds` as superseded by `successor`; returns those closed. */
  supersedeCases(oldCaseIds: readonly string[], successor: string): string[];
  setStatus(caseId: string, status: CaseStatus, extra?: { error?: string }): void;
  /** Appends a row to the keyed audit log; inside transaction() it commits with the state it describes. */
  audit(entry: AuditEntry): void;
  /** Runs `work` (synchronous) in one transaction: `transaction(() => { saveX(); audit(...) })`. */
  transaction<T>(work: () => T): T;
}
