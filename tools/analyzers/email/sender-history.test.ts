import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defaultOrganization } from "../../../core/organization.ts";
import { parseEmail } from "./parse.ts";
import { analyzeEmail, type EmailContext } from "./signals.ts";

const raw = readFileSync(new URL("./fixtures/newsletter.eml", import.meta.url), "utf8");

async function historyFindings(senderHistory: EmailContext["senderHistory"]) {
  const signals = analyzeEmail({
    facts: await parseEmail(raw),
    messageEvidenceId: "ev-msg",
    internalDomains: defaultOrganization.internalDomains,
    protectedDomains: defaultOrganization.protectedDomains,
    simulationSenderDomains: defaultOrganization.simulationSenderDomains,
    intel: [],
    senderHistory,
  });
  return signals
    .filter((s) => s.id.startsWith("email.sender.") && /history|seen|known|established/.test(s.id))
    .map((s) => ({ id: s.id, weight: s.weight, evidenceIds: s.evidenceIds }));
}
const seen = (messages: number, days: number) => ({ messages, days, windowDays: 60, evidenceId: "ev-hist" });

describe("sender history findings", () => {
  it("say so, with no weight, when no log speaks for the message's organization", async () => {
    expect(await historyFindings({ unavailable: "a file triaged against the lab" })).toEqual([
      { id: "email.sender.history_unavailable", weight: 0, evidenceIds: ["ev-msg"] },
    ]);
  });

  it("need mail spread over days to call a sender known: a one-day burst is one campaign", async () => {
    expect(await historyFindings(seen(0, 0))).toEqual([
      { id: "email.sender.first_seen", weight: 0.4, evidenceIds: ["ev-hist"] },
    ]);
    expect(await historyFindings(seen(40, 1))).toEqual([]);
    expect(await historyFindings(seen(3, 2))).toEqual([
      { id: "email.sender.known", weight: -1, evidenceIds: ["ev-hist"] },
    ]);
    expect(await historyFindings(seen(12, 4))).toEqual([
      { id: "email.sender.known", weight: -1, evidenceIds: ["ev-hist"] },
    ]);
    expect(await historyFindings(seen(12, 5))).toEqual([
      { id: "email.sender.established", weight: -1.5, evidenceIds: ["ev-hist"] },
    ]);
  });

  it("add nothing when there was no lookup", async () => {
    expect(await historyFindings(null)).toEqual([]);
  });
});
