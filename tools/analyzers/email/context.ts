/** What the email analyzers read about one reported message: its facts, our organization, and tool results. */
import type { IntelVerdict } from "../../../core/domain.ts";
import type { EmailFacts } from "./parse.ts";

export interface CitedIntel {
  verdict: IntelVerdict;
  evidenceId: string;
}

export interface EmailContext {
  facts: EmailFacts;
  messageEvidenceId: string;
  internalDomains: readonly string[];
  protectedDomains: readonly string[];
  simulationSenderDomains: readonly string[];
  /** Names of executives and other people attackers impersonate. */
  protectedPeople?: readonly string[];
  intel: readonly CitedIntel[];
  /**
   * The sender in the organization's mail logs over the window before the alert: distinct messages and the
   * distinct days they came on. `unavailable` says why no log can speak for this message's organization.
   */
  senderHistory:
    | { messages: number; days: number; windowDays: number; evidenceId: string }
    | { unavailable: string }
    | null;
}
