/**
 * Sanctioned phishing simulations. A simulation platform marks its mail (a header its customers allow-list
 * on, a tracking parameter), but anyone can copy a header, so a mark only counts for a platform the
 * organization says it runs (`simulationPlatforms`), and a configured vendor domain only with passing
 * authentication. What the sublime rules (../shared/datasets/rules/sublime) taught: KnowBe4 mail is from
 * knowbe4.com with DMARC pass, anything else naming KnowBe4 is impersonation; GoPhish links carry a
 * 7-character mixed `rid` parameter and a hidden `/track?rid=` pixel. The header names are the ones the
 * vendors document for allow-listing.
 */
import type { SimulationPlatform } from "../../../core/organization.ts";
import { isSameOrSubdomain, registrableDomain } from "../domains.ts";
import type { EmailFacts } from "./parse.ts";

export interface SimulationMatch {
  platform: SimulationPlatform | "configured_vendor";
  /** What identified it, for the report. */
  evidence: string;
  /** True when the organization runs this platform (or the vendor domain is configured and authenticated). */
  sanctioned: boolean;
}

interface Fingerprint {
  platform: SimulationPlatform;
  headers: readonly string[];
  /** Sender root domains the platform sends from; only counted with DMARC (or SPF and DKIM) passing. */
  domains: readonly string[];
  links?: RegExp;
}

const GOPHISH_RID = /[?&](?:rid|mid)=(?=[a-z0-9]{7}(?:&|$))(?![0-9]{7})(?![a-z]{7})(?![A-Z]{7})[a-z0-9]{7}/i;

const FINGERPRINTS: readonly Fingerprint[] = [
  { platform: "knowbe4", headers: ["x-phishtest"], domains: ["knowbe4.com"] },
  {
    platform: "cofense",
    headers: ["x-phishme", "x-phishme-tracking"],
    domains: ["cofense.com", "phishme.com"],
  },
  {
    platform: "proofpoint_security_awareness",
    headers: ["x-threatsim-id", "x-threatsim-header"],
    domains: ["threatsim.com", "wombatsecurity.com"],
  },
  // Attack Simulation Training sends from Microsoft-owned look-alike domains that change; the organization
  // lists the ones its tenant uses in simulationSenderDomains.
  { platform: "microsoft_attack_simulation", headers: [], domains: [] },
  {
    platform: "gophish",
    headers: ["x-gophish-contact", "x-gophish-signature"],
    domains: [],
    links: GOPHISH_RID,
  },
];

const pass = (v: string | null | undefined) => v?.toLowerCase() === "pass";

function authenticated(facts: EmailFacts): boolean {
  return pass(facts.auth?.dmarc) || (pass(facts.auth?.spf) && pass(facts.auth?.dkim));
}

/** Which platform's marks the message carries, and whether the organization sanctioned it. */
export function detectSimulation(
  facts: EmailFacts,
  org: { simulationSenderDomains: readonly string[]; simulationPlatforms: readonly SimulationPlatform[] },
): SimulationMatch | null {
  const fromDomain = facts.from?.domain ?? "";
  const authentic = authenticated(facts);
  if (fromDomain && authentic && org.simulationSenderDomains.some((d) => isSameOrSubdomain(fromDomain, d)))
    return {
      platform: "configured_vendor",
      evidence: `authenticated mail from ${fromDomain}`,
      sanctioned: true,
    };
  const root = fromDomain ? registrableDomain(fromDomain) : "";
  for (const fp of FINGERPRINTS) {
    const header = fp.headers.find((h) => facts.headers.has(h));
    const domain = authentic && fp.domains.includes(root) ? root : null;
    const link = fp.links ? facts.links.find((l) => fp.links?.test(l.href)) : undefined;
    const evidence = header
      ? `header ${header}`
      : domain
        ? `authenticated mail from ${domain}`
        : link
          ? `tracking link ${link.href.slice(0, 120)}`
          : null;
    if (!evidence) continue;
    // A tracking link alone is how attackers' own GoPhish kits look too (the sublime rule flags it): it
    // names the platform but never sanctions the message.
    const marked = header !== undefined || domain !== null;
    return {
      platform: fp.platform,
      evidence,
      sanctioned: marked && org.simulationPlatforms.includes(fp.platform),
    };
  }
  return null;
}
