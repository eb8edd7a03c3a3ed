/** Tests' shortcut: parse a raw message and run the analyzers, with an empty organization unless given. */
import { parseEmail } from "./parse.ts";
import { analyzeEmail, type EmailContext } from "./signals.ts";

export async function analyzeRaw(raw: string, context: Partial<Omit<EmailContext, "facts">> = {}) {
  return analyzeEmail({
    facts: await parseEmail(raw),
    messageEvidenceId: "ev",
    internalDomains: [],
    protectedDomains: [],
    simulationSenderDomains: [],
    intel: [],
    senderHistory: null,
    ...context,
  });
}
