import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defaultOrganization } from "../../../agent/organization.ts";
import { parseEmail } from "./parse.ts";
import { analyzeEmail, type EmailContext } from "./signals.ts";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

async function signalsOf(name: string, extra: Partial<EmailContext> = {}) {
  const facts = await parseEmail(fixture(name));
  return analyzeEmail({
    facts,
    messageEvidenceId: "ev-msg",
    internalDomains: defaultOrganization.internalDomains,
    protectedDomains: defaultOrganization.protectedDomains,
    simulationSenderDomains: defaultOrganization.simulationSenderDomains,
    intel: [],
    senderHistory: null,
    ...extra,
  });
}

describe("parseEmail", () => {
  it("reads authentication results, links with anchor text, and the sender", async () => {
    const facts = await parseEmail(fixture("credential-phish.eml"));
    expect(facts.from).toEqual({
      address: "no-reply@micros0ft-support.com",
      name: "Microsoft 365",
      domain: "micros0ft-support.com",
    });
    expect(facts.auth).toEqual({ spf: "fail", dkim: "none", dmarc: "fail", compauth: null });
    expect(facts.links).toContainEqual({
      href: "https://micros0ft-support.com/login?u=dana",
      text: "https://portal.office.com/verify",
      domain: "micros0ft-support.com",
    });
  });

  it("bounds the work on an oversized message and says so", async () => {
    const huge = `${fixture("newsletter.eml")}${"A".repeat(5_100_000)}`;
    const facts = await parseEmail(huge);
    expect(facts.truncated[0]).toMatch(/cut to/);
  });
});

describe("analyzeEmail", () => {
  it("flags the credential phish on sender, authentication, link and language, citing the message", async () => {
    const ids = (await signalsOf("credential-phish.eml")).map((s) => s.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        "email.auth.dmarc_fail",
        "email.sender.lookalike_domain",
        "email.sender.display_name_brand",
        "email.url.anchor_mismatch",
        "email.language.urgency",
        "email.language.credentials",
      ]),
    );
    for (const s of await signalsOf("credential-phish.eml")) expect(s.evidenceIds).toEqual(["ev-msg"]);
  });

  it("reads the newsletter as authenticated bulk mail from an established sender", async () => {
    const signals = await signalsOf("newsletter.eml", {
      senderHistory: { deliveries: 14, evidenceId: "ev-hist" },
    });
    const ids = signals.map((s) => s.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        "email.auth.aligned_pass",
        "email.bulk.list_unsubscribe",
        "email.sender.established",
      ]),
    );
    expect(signals.reduce((sum, s) => sum + s.weight, 0)).toBeLessThan(-2);
  });

  it("counts intel verdicts with their own evidence", async () => {
    const signals = await signalsOf("newsletter.eml", {
      intel: [
        {
          evidenceId: "ev-intel",
          verdict: {
            observable: { type: "url", value: "https://x.test/" },
            verdict: "malicious",
            sources: [],
            tags: ["phishing"],
          },
        },
      ],
    });
    expect(signals.find((s) => s.id === "email.intel.malicious_url")).toMatchObject({
      weight: 3,
      evidenceIds: ["ev-intel"],
    });
  });
});
