/**
 * What the graph's nodes are given. Nodes do I/O only through these; tests and apps build them with
 * createTriageDeps (agent/setup.ts) or by hand.
 */
import type { CaseMemory, Toolset } from "../core/ports.ts";
import type { OrganizationProfile } from "../core/organization.ts";
import { defaultRetry } from "../tools/http.ts";
import type { Reasoner } from "./reasoners/types.ts";
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
  /**
   * Extra attempts for a vendor call whose failure is retryable (a throttle, a timeout, a 5xx). tools/http.ts
   * makes them, honouring Retry-After under its wait budget; it is the only layer that retries.
   */
  toolRetries: number;
  /** Tool calls of one round in flight at once (1 runs them one after another); vendors throttle bursts. */
  toolConcurrency: number;
}

export const defaultBudget: TriageBudget = {
  maxToolCalls: 40,
  maxRounds: 6,
  maxWallMs: 60_000,
  toolTimeoutMs: 15_000,
  toolRetries: defaultRetry.retries,
  toolConcurrency: 8,
};

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
