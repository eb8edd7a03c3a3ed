/**
 * What the graph's nodes are given. Nodes do I/O only through these; tests and apps build them with
 * createTriageDeps (agent/setup.ts) or by hand.
 */
import type { AuditEntry } from "../memory/audit-chain.ts";
import type {
  Toolset,
  Alert,
  Evidence,
  Finding,
  Verdict,
  ProposedAction,
  PolicyDecision,
} from "../tools/types.ts";
import type { Approval, ActionResult, ActionStatus } from "../tools/types.ts";
import type { ObservableHistory, RelatedCase } from "../memory/types.ts";
import type { OrganizationProfile } from "./organization.ts";
import type { Reasoner, InvestigationStep } from "./reasoners/types.ts";
import type { Policy } from "./policy/schema.ts";

export interface TriageBudget {
  /** Most read-only tool calls in one investigation. */
  maxToolCalls: number;
  /** Most plan ⇄ run rounds. */
  maxRounds: number;
  /** Wall-clock budget of the investigation; when spent, the reasoner assesses what it has. */
  maxWallMs: number;
  /** Per tool call. */
  toolTimeoutMs: number;
  /** Extra attempts for a tool call that failed with a retryable code. */
  toolRetries: number;
  /** Tool calls of one round in flight at once (1 runs them one after another); vendors throttle bursts. */
  toolConcurrency: number;
}

export const defaultBudget: TriageBudget = {
  maxToolCalls: 40,
  maxRounds: 6,
  maxWallMs: 60_000,
  toolTimeoutMs: 15_000,
  toolRetries: 1,
  toolConcurrency: 8,
};

export type ClaimResult =
  { claimed: true } | { claimed: false; status: string; detail: string; caseId: string };

/** The slice of case memory the graph writes and reads. */
export interface CaseMemory {
  /** Opens a case for an alert and returns its id. */
  createCase(
    alert: Alert,
    options: { reasoner: string; owner?: string; leaseMs?: number; dryRun?: boolean },
  ): string;
  saveAlert(caseId: string, alert: Alert): void;
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
  setStatus(
    caseId: string,
    status: "investigating" | "awaiting_approval" | "closed" | "failed",
    extra?: { error?: string },
  ): void;
  /** Appends a row to the keyed audit log; inside transaction() it commits with the state it describes. */
  audit(entry: AuditEntry): void;
  /** Runs `work` (synchronous) in one transaction: `transaction(() => { saveX(); audit(...) })`. */
  transaction<T>(work: () => T): T;
}

/** One audit entry (defined with the chain that stores it). */
export type { AuditEntry };

export interface TriageDeps {
  tools: Toolset;
  reasoner: Reasoner;
  memory: CaseMemory;
  policy: Policy;
  organization: OrganizationProfile;
  budget: TriageBudget;
  now: () => Date;
  /**
   * False: actions that need approval are recorded as pending_approval and the run ends without pausing
   * (no checkpointer to resume from). True (the default with a checkpointer): the graph waits for a person.
   */
  interactiveApprovals: boolean;
}

export type { ActionStatus };
