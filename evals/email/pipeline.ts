/**
 * One message through the offline email engine without a case: view → parse → analyzers → features.
 * The same code the email playbook runs, minus the tools (no intel, no gateway history), so a corpus can be
 * scored quickly and repeatably.
 */
import { defaultOrganization, type OrganizationProfile } from "../../core/organization.ts";
import { emailFeatureVector, type FeatureVector } from "../../tools/analyzers/email/features.ts";
import { headlineView } from "../../tools/analyzers/email/normalize.ts";
import { parseEmail } from "../../tools/analyzers/email/parse.ts";
import { analyzeEmail } from "../../tools/analyzers/email/signals.ts";
import type { Signal } from "../../tools/analyzers/signal.ts";

export type View = "headline" | "raw";

export interface PreparedMessage {
  vector: FeatureVector;
  signals: Signal[];
}

/** Parses one message in the given view and runs the analyzers with the organization's settings. */
export async function prepareMessage(
  raw: string,
  view: View,
  organization: OrganizationProfile = defaultOrganization,
): Promise<PreparedMessage> {
  const facts = await parseEmail(view === "headline" ? headlineView(raw) : raw);
  const signals = analyzeEmail({
    facts,
    messageEvidenceId: "ev-message",
    internalDomains: organization.internalDomains,
    protectedDomains: organization.protectedDomains,
    simulationSenderDomains: organization.simulationSenderDomains,
    protectedPeople: organization.protectedPeople,
    intel: [],
    senderHistory: null,
  });
  return { vector: emailFeatureVector(facts, signals), signals };
}
