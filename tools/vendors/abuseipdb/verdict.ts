/**
 * An AbuseIPDB check as our IntelVerdict. The mapping, deliberately:
 *
 * - Never reported in the window (`totalReports` 0) is "unknown", score null: AbuseIPDB answers every valid
 *   IP with 200 and score 0, and an address nobody has reported is not thereby harmless.
 * - Reported: `abuseConfidenceScore` is the score as is, and the verdict comes from the configured bands:
 *   malicious at `maliciousScore` (default 75, AbuseIPDB's own blocklist line) or more, suspicious at
 *   `suspiciousScore` (default 25) or more, and below that "unknown" (a report or two, or old ones, is too
 *   weak to call either way), keeping the low score.
 * - Whitelisted by AbuseIPDB (`isWhitelisted` true): harmless, the one positive "good" signal it gives.
 * - Not public (`isPublic` false: private, loopback, reserved): unknown, whatever the score.
 * - Tags: network facts always (usageType "Data Center/Web Hosting/Transit" → hosting, "Content Delivery
 *   Network" → cdn, "Search Engine Spider" → crawler; isTor → tor); what reporters said (report
 *   categories, e.g. 14 Port Scan → scanner, 18 Brute-Force → brute_force) only once the score reaches the
 *   suspicious band, so one stray report does not label an address.
 * - firstSeen: none. AbuseIPDB gives only the last report inside the window; it goes in the detail.
 */
import { z } from "zod";
import type { IntelVerdict, Observable } from "../../../core/domain.ts";

export const checkResponseSchema = z.object({
  data: z.object({
    ipAddress: z.string(),
    isPublic: z.boolean().nullish(),
    isWhitelisted: z.boolean().nullish(),
    abuseConfidenceScore: z.number().int().min(0).max(100),
    countryCode: z.string().nullish(),
    usageType: z.string().nullish(),
    isp: z.string().nullish(),
    isTor: z.boolean().nullish(),
    totalReports: z.number().int().nullish(),
    numDistinctUsers: z.number().int().nullish(),
    lastReportedAt: z.string().nullish(),
    reports: z.array(z.object({ categories: z.array(z.number()).nullish() })).nullish(),
  }),
});
export type AbuseIpdbCheck = z.infer<typeof checkResponseSchema>["data"];

export interface AbuseBands {
  maliciousScore: number;
  suspiciousScore: number;
  maxAgeInDays: number;
}

const USAGE_TAGS: Readonly<Record<string, string>> = {
  "Data Center/Web Hosting/Transit": "hosting",
  "Content Delivery Network": "cdn",
  "Search Engine Spider": "crawler",
};

/** Report categories (https://www.abuseipdb.com/categories) with a tag of ours; the vague ones have none. */
const CATEGORY_TAGS: Readonly<Record<number, string>> = {
  4: "ddos",
  5: "brute_force",
  7: "phishing",
  9: "proxy",
  10: "spam",
  11: "spam",
  12: "spam",
  13: "vpn",
  14: "scanner",
  16: "web_attack",
  18: "brute_force",
  19: "bad_bot",
  20: "compromised",
  21: "web_attack",
  22: "brute_force",
};

type Judgement = Pick<IntelVerdict, "verdict" | "score">;

export function judgeCheck(check: AbuseIpdbCheck, bands: AbuseBands): Judgement {
  const score = check.abuseConfidenceScore;
  if (check.isPublic === false) return { verdict: "unknown", score: null };
  if (check.isWhitelisted === true) return { verdict: "harmless", score };
  if ((check.totalReports ?? 0) === 0) return { verdict: "unknown", score: null };
  if (score >= bands.maliciousScore) return { verdict: "malicious", score };
  if (score >= bands.suspiciousScore) return { verdict: "suspicious", score };
  return { verdict: "unknown", score };
}

export function checkTags(check: AbuseIpdbCheck, judgement: Judgement): string[] {
  const tags = new Set<string>();
  const usage = check.usageType ? USAGE_TAGS[check.usageType] : undefined;
  if (usage) tags.add(usage);
  if (check.isTor) tags.add("tor");
  if (judgement.verdict === "malicious" || judgement.verdict === "suspicious")
    for (const report of check.reports ?? [])
      for (const category of report.categories ?? []) {
        const tag = CATEGORY_TAGS[category];
        if (tag) tags.add(tag);
      }
  return [...tags].sort();
}

function detailOf(check: AbuseIpdbCheck, bands: AbuseBands): string {
  const reports = check.totalReports ?? 0;
  const parts: string[] = [];
  if (check.isPublic === false) parts.push("not a public address");
  if (check.isWhitelisted === true) parts.push("whitelisted");
  if (reports === 0) parts.push(`no reports in ${bands.maxAgeInDays} days`);
  else {
    const users = check.numDistinctUsers ? ` from ${check.numDistinctUsers} users` : "";
    const last = check.lastReportedAt ? `, last ${check.lastReportedAt.slice(0, 10)}` : "";
    parts.push(
      `confidence ${check.abuseConfidenceScore}, ${reports} reports${users} in ${bands.maxAgeInDays} days${last}`,
    );
  }
  const network = [check.usageType, check.isp].filter(Boolean).join(", ");
  if (network) parts.push(`${network}${check.countryCode ? ` (${check.countryCode})` : ""}`);
  if (check.isTor) parts.push("Tor exit node");
  return `AbuseIPDB: ${parts.join("; ")}`;
}

export function toIntelVerdict(
  observable: Pick<Observable, "type" | "value">,
  check: AbuseIpdbCheck,
  bands: AbuseBands,
): IntelVerdict {
  const judgement = judgeCheck(check, bands);
  return {
    observable: { type: observable.type, value: observable.value },
    ...judgement,
    sources: ["abuseipdb"],
    tags: checkTags(check, judgement),
    firstSeen: null,
    detail: detailOf(check, bands),
  };
}
