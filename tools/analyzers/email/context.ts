/** What the email analyzers read about one reported message: its facts, our organization, and tool results. */
import type { IntelVerdict } from "../../types.ts";
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
  /** Earlier deliveries from the sender's address or domain at the mail gateway, before this message. */
  senderHistory: { deliveries: number; evidenceId: string } | null;
}
