/**
 * The seam between the graph and whatever decides: the offline engine and the LLM reasoner both implement
 * Reasoner. A reasoner only plans read-only tool calls, judges, and proposes actions; it never acts.
 */
import type { ToolCall } from "../../tools/catalog.ts";
import type {
  Alert,
  Evidence,
  Finding,
  ProposedActionInput,
  Verdict,
  ObservableHistory,
  RelatedCase,
  InvestigationStep,
  ModelUsage,
} from "../../core/domain.ts";
import type { OrganizationProfile } from "../../core/organization.ts";

export interface ReasonerContext {
  alert: Alert;
  organization: OrganizationProfile;
  related: RelatedCase[];
  history: ObservableHistory[];
  /**
   * Whether the SIEM's logs are this alert's organization's history (see SiemSearch.speaksFor): when not,
   * baseline findings such as "first mail from this sender" are unavailable rather than guessed.
   */
  organizationLogs: boolean;
  /** Evidence so far; the alert itself is always the first item, id "ev-alert". */
  evidence: Evidence[];
  steps: InvestigationStep[];
  round: number;
  remainingToolCalls: number;
  /** Model use of the whole run so far (the checkpointed state's): a reasoner keeps none of its own. */
  usage: ModelUsage;
}

export interface InvestigationPlan {
  calls: ToolCall[];
  /** True when the reasoner has what it needs; the graph then assesses. */
  done: boolean;
  note?: string;
  /** Model use of this round, added to the run's by the graph. */
  usage?: ModelUsage;
}

export interface Assessment {
  verdict: Verdict;
  findings: Finding[];
  /** Model use of this assessment, added to the run's by the graph. */
  usage?: ModelUsage;
}

export interface Reasoner {
  readonly name: string;
  plan(context: ReasonerContext): Promise<InvestigationPlan>;
  assess(context: ReasonerContext): Promise<Assessment>;
  proposeActions(context: ReasonerContext & Assessment): Promise<ProposedActionInput[]>;
}
