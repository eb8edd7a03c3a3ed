/**
 * A VirusTotal object (file, URL, domain, IP) as our IntelVerdict. The mapping, deliberately:
 *
 * - Verdict and score come from the engines of the last analysis (`last_analysis_stats`), with N the
 *   configured `maliciousEngines` (default 3; one or two engines alone are the usual false-positive noise):
 *   - malicious: at least N engines say malicious. Score 60 at N, +5 per further engine, 100 at N + 8.
 *   - suspicious: 1..N-1 engines say malicious, or any says suspicious. Score 30 + 10 per malicious
 *     engine, at most 55, so it stays below every malicious score.
 *   - harmless: no engine flags it and the engines that call it clean outnumber those without an opinion.
 *     Score 0. For files engines answer "undetected", never "harmless": an engine that found nothing has
 *     not vouched for the file, so a file with zero detections stays unknown.
 *   - unknown: anything else, including an object never analysed. Score null.
 * - Community reputation and votes are shown in the detail only: anyone can vote.
 * - Tags: VirusTotal's own tags and the URL/domain categories of its partners, read through one small
 *   vocabulary (phishing, c2, malware, spam, tor, hosting, scanner, vpn, proxy, newly_registered,
 *   cryptomining, parked); anything else (file-format tags such as "peexe") is dropped. Files add VirusTotal's
 *   popular threat categories (trojan, ransomware…) as they are. A domain registered in the last 30 days is
 *   tagged newly_registered.
 * - firstSeen: the first submission (files, URLs). Domains and IPs have none: a domain's registration date
 *   is not a sighting, so it goes in the detail.
 */
import { z } from "zod";
import type { IntelVerdict, Observable } from "../../../core/domain.ts";

export const vtAttributesSchema = z.object({
  // A record, not fixed keys: file stats add hyphenated keys ("type-unsupported", "confirmed-timeout").
  last_analysis_stats: z.record(z.string(), z.number()).nullish(),
  last_analysis_date: z.number().nullish(),
  reputation: z.number().nullish(),
  tags: z.array(z.string()).nullish(),
  categories: z.record(z.string(), z.string()).nullish(),
  first_submission_date: z.number().nullish(),
  creation_date: z.number().nullish(),
  popular_threat_classification: z
    .object({
      suggested_threat_label: z.string().nullish(),
      popular_threat_category: z.array(z.object({ value: z.string() })).nullish(),
    })
    .nullish(),
  as_owner: z.string().nullish(),
  country: z.string().nullish(),
});
export type VtAttributes = z.infer<typeof vtAttributesSchema>;

export const vtObjectSchema = z.object({
  data: z.object({ id: z.string(), type: z.string(), attributes: vtAttributesSchema }),
});

export interface VtScoring {
  /** Engines saying malicious that make the verdict malicious. */
  maliciousEngines: number;
}

type Judgement = Pick<IntelVerdict, "verdict" | "score">;

/** The verdict and score of one analysis's engine counts (see the header). */
export function judgeStats(stats: Record<string, number> | null | undefined, scoring: VtScoring): Judgement {
  if (!stats) return { verdict: "unknown", score: null };
  const malicious = stats.malicious ?? 0;
  const suspicious = stats.suspicious ?? 0;
  const harmless = stats.harmless ?? 0;
  const undetected = stats.undetected ?? 0;
  const n = scoring.maliciousEngines;
  if (malicious >= n) return { verdict: "malicious", score: Math.min(100, 60 + 5 * (malicious - n)) };
  if (malicious > 0 || suspicious > 0)
    return { verdict: "suspicious", score: Math.min(55, 30 + 10 * malicious) };
  if (harmless > undetected) return { verdict: "harmless", score: 0 };
  return { verdict: "unknown", score: null };
}

const VOCABULARY: ReadonlyArray<readonly [RegExp, string]> = [
  [/phish/, "phishing"],
  [/\b(c2|cnc|c&c|command and control|botnet)\b/, "c2"],
  [/malware|malicious/, "malware"],
  [/spam/, "spam"],
  [/\btor\b/, "tor"],
  [/hosting|data ?cent(er|re)/, "hosting"],
  [/scan/, "scanner"],
  [/\bvpn\b/, "vpn"],
  [/proxy|anonymi[sz]/, "proxy"],
  [/newly (registered|observed)/, "newly_registered"],
  [/(crypto|coin) ?min|\bminer\b/, "cryptomining"],
  [/parked/, "parked"],
];

/** Our tags for one of VirusTotal's labels or categories ("phishing and other frauds" → phishing). */
export function vocabularyTags(text: string): string[] {
  const lower = text.toLowerCase();
  return VOCABULARY.filter(([pattern]) => pattern.test(lower)).map(([, tag]) => tag);
}

const DAY_MS = 86_400_000;
const NEWLY_REGISTERED_DAYS = 30;

export function vtTags(attributes: VtAttributes, now: Date): string[] {
  const tags = new Set<string>();
  for (const label of [...(attributes.tags ?? []), ...Object.values(attributes.categories ?? {})])
    for (const tag of vocabularyTags(label)) tags.add(tag);
  for (const category of attributes.popular_threat_classification?.popular_threat_category ?? [])
    tags.add(category.value.toLowerCase());
  const created = attributes.creation_date;
  if (typeof created === "number" && now.getTime() - created * 1000 < NEWLY_REGISTERED_DAYS * DAY_MS)
    tags.add("newly_registered");
  return [...tags].sort();
}

const isoOfEpoch = (seconds: number | null | undefined) =>
  typeof seconds === "number" && seconds > 0 ? new Date(seconds * 1000).toISOString() : null;
const dayOfEpoch = (seconds: number | null | undefined) => isoOfEpoch(seconds)?.slice(0, 10) ?? null;

function detailOf(attributes: VtAttributes): string {
  const stats = attributes.last_analysis_stats;
  const parts: string[] = [];
  if (stats) {
    const total = Object.values(stats).reduce((sum, n) => sum + n, 0);
    parts.push(
      `VirusTotal: ${stats.malicious ?? 0}/${total} engines malicious, ${stats.suspicious ?? 0} suspicious, ${stats.harmless ?? 0} harmless`,
    );
  } else parts.push("VirusTotal: known, but not analysed yet");
  const label = attributes.popular_threat_classification?.suggested_threat_label;
  if (label) parts.push(`threat label ${label}`);
  if (typeof attributes.reputation === "number" && attributes.reputation !== 0)
    parts.push(`community reputation ${attributes.reputation}`);
  if (attributes.as_owner)
    parts.push(`AS ${attributes.as_owner}${attributes.country ? ` (${attributes.country})` : ""}`);
  const registered = dayOfEpoch(attributes.creation_date);
  if (registered) parts.push(`registered ${registered}`);
  const analysed = dayOfEpoch(attributes.last_analysis_date);
  if (analysed) parts.push(`last analysed ${analysed}`);
  return parts.join("; ");
}

/** The verdict on a VirusTotal object, echoing the observable asked about. */
export function toIntelVerdict(
  observable: Pick<Observable, "type" | "value">,
  attributes: VtAttributes,
  options: VtScoring & { now: Date },
): IntelVerdict {
  return {
    observable: { type: observable.type, value: observable.value },
    ...judgeStats(attributes.last_analysis_stats, options),
    sources: ["virustotal"],
    tags: vtTags(attributes, options.now),
    firstSeen: isoOfEpoch(attributes.first_submission_date),
    detail: detailOf(attributes),
  };
}
