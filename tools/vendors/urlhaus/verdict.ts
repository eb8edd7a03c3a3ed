/**
 * URLhaus answers as our IntelVerdict. URLhaus lists only malware-distribution URLs, the hosts serving
 * them and their payloads, so being listed is itself the accusation. The mapping, deliberately:
 *
 * - URL (POST /url/): malicious whatever its state, scored by whether it can still deliver: online 90,
 *   unknown 80, offline 70. Tags: its `threat` (malware_download) and its reporters' tags read through our
 *   vocabulary. firstSeen: date_added.
 * - Host, a domain or an IPv4 (POST /host/): the strongest of these signals decides, tags from all of them:
 *   - a URL on it online now: malicious 90;
 *   - Spamhaus DBL lists the domain as the criminal's own (phishing_domain, botnet_cc_domain…): malicious
 *     80, tagged with the kind (phishing, c2, spam, malware);
 *   - DBL lists it as a legitimate domain abused (abused_legit_*), or SURBL lists it: suspicious 60 (block
 *     the URLs, not the site), tagged compromised plus the kind;
 *   - only offline or unknown-state URLs: suspicious 50, a past malware host.
 *   Its URLs' reporter tags count through the vocabulary; their `threat` does not (it describes the URLs).
 *   firstSeen: the host's firstseen.
 * - Payload, MD5 or SHA-256 (POST /payload/): a file fetched from malware URLs: malicious 90, tagged
 *   malware; the signature (family), file type and VirusTotal ratio go in the detail.
 * - no_results and invalid_* are "unknown" (handled in intel.ts).
 *
 * URLhaus writes numbers as strings ("url_count":"120") and dates as "YYYY-MM-DD hh:mm:ss UTC".
 */
import { z } from "zod";
import type { IntelVerdict, Observable } from "../../../core/domain.ts";

const count = z.union([z.string(), z.number()]).nullish();
const blacklistsSchema = z
  .object({ spamhaus_dbl: z.string().nullish(), surbl: z.string().nullish() })
  .nullish();

export const urlAnswerSchema = z.object({
  url_status: z.string().nullish(),
  date_added: z.string().nullish(),
  threat: z.string().nullish(),
  blacklists: blacklistsSchema,
  tags: z.array(z.string()).nullish(),
  payloads: z.array(z.object({ signature: z.string().nullish() })).nullish(),
});
export const hostAnswerSchema = z.object({
  firstseen: z.string().nullish(),
  url_count: count,
  blacklists: blacklistsSchema,
  urls: z
    .array(z.object({ url_status: z.string().nullish(), tags: z.array(z.string()).nullish() }))
    .nullish(),
});
export const payloadAnswerSchema = z.object({
  file_type: z.string().nullish(),
  signature: z.string().nullish(),
  firstseen: z.string().nullish(),
  url_count: count,
  virustotal: z.object({ result: z.string().nullish() }).nullish(),
});

type Lookup = Pick<Observable, "type" | "value">;
type Judgement = Pick<IntelVerdict, "verdict" | "score"> & { tags: string[] };

const VOCABULARY: ReadonlyArray<readonly [RegExp, string]> = [
  [/phish/, "phishing"],
  [/\b(c2|cnc|c&c|botnet|botnetcc)\b/, "c2"],
  [/malware/, "malware"],
  [/spam/, "spam"],
  [/\btor\b/, "tor"],
  [/hosting|data ?cent(er|re)/, "hosting"],
  [/scan/, "scanner"],
  [/(crypto|coin) ?min|\bminer\b/, "cryptomining"],
];

/** Our tags for one URLhaus label (a reporter tag, a DBL class); family and file-type tags have none. */
export function vocabularyTags(text: string): string[] {
  // DBL classes join words with "_" ("botnet_cc_domain"), which \b does not split.
  const lower = text.toLowerCase().replace(/_/g, " ");
  return VOCABULARY.filter(([pattern]) => pattern.test(lower)).map(([, tag]) => tag);
}

/** "2019-01-19 01:33:26 UTC" (or a bare date) as ISO 8601; null when absent or unreadable. */
export function isoOfUrlhausDate(value: string | null | undefined): string | null {
  const match = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}:\d{2}))?(?: ?UTC)?$/.exec(value?.trim() ?? "");
  if (!match) return null;
  const ms = Date.parse(`${match[1]}T${match[2] ?? "00:00:00"}Z`);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

const URL_SCORES: Readonly<Record<string, number>> = { online: 90, unknown: 80, offline: 70 };

function judgeBlacklists(blacklists: z.infer<typeof blacklistsSchema>): Judgement[] {
  const signals: Judgement[] = [];
  const dbl = blacklists?.spamhaus_dbl?.toLowerCase() ?? "";
  if (dbl.startsWith("abused_legit"))
    signals.push({ verdict: "suspicious", score: 60, tags: ["compromised", ...vocabularyTags(dbl)] });
  else if (dbl.endsWith("_domain"))
    signals.push({ verdict: "malicious", score: 80, tags: vocabularyTags(dbl) });
  if (blacklists?.surbl?.toLowerCase() === "listed")
    signals.push({ verdict: "suspicious", score: 60, tags: [] });
  return signals;
}

function strongest(signals: Judgement[]): Judgement {
  const tags = [...new Set(signals.flatMap((s) => s.tags))].sort();
  const top = signals.reduce<Judgement | null>(
    (a, b) => (a && (a.score ?? 0) >= (b.score ?? 0) ? a : b),
    null,
  );
  return top ? { verdict: top.verdict, score: top.score, tags } : { verdict: "unknown", score: null, tags };
}

function listings(blacklists: z.infer<typeof blacklistsSchema>): string[] {
  const parts: string[] = [];
  const dbl = blacklists?.spamhaus_dbl;
  if (dbl && dbl !== "not listed") parts.push(`Spamhaus DBL ${dbl}`);
  if (blacklists?.surbl === "listed") parts.push("SURBL listed");
  return parts;
}

const verdictOf = (
  observable: Lookup,
  judgement: Judgement,
  firstSeen: string | null,
  detail: string[],
): IntelVerdict => ({
  observable: { type: observable.type, value: observable.value },
  verdict: judgement.verdict,
  score: judgement.score,
  sources: ["urlhaus"],
  tags: judgement.tags,
  firstSeen,
  detail: `URLhaus: ${detail.join("; ")}`,
});

export function urlVerdict(observable: Lookup, answer: z.infer<typeof urlAnswerSchema>): IntelVerdict {
  const status = answer.url_status ?? "unknown";
  const tags = new Set<string>(answer.threat ? [answer.threat.toLowerCase()] : []);
  for (const tag of answer.tags ?? []) for (const ours of vocabularyTags(tag)) tags.add(ours);
  const signatures = [...new Set((answer.payloads ?? []).map((p) => p.signature).filter(Boolean))];
  const added = isoOfUrlhausDate(answer.date_added);
  return verdictOf(
    observable,
    { verdict: "malicious", score: URL_SCORES[status] ?? 80, tags: [...tags].sort() },
    added,
    [
      `${answer.threat ?? "malware"} URL, ${status}${added ? `, added ${added.slice(0, 10)}` : ""}`,
      ...(answer.tags?.length ? [`tags ${answer.tags.join(", ")}`] : []),
      ...(signatures.length ? [`payload ${signatures.join(", ")}`] : []),
      ...listings(answer.blacklists),
    ],
  );
}

export function hostVerdict(observable: Lookup, answer: z.infer<typeof hostAnswerSchema>): IntelVerdict {
  const urls = answer.urls ?? [];
  const online = urls.filter((u) => u.url_status === "online").length;
  const signals = judgeBlacklists(answer.blacklists);
  const urlTags = urls.flatMap((u) => (u.tags ?? []).flatMap(vocabularyTags));
  if (online > 0) signals.push({ verdict: "malicious", score: 90, tags: urlTags });
  else if (urls.length > 0) signals.push({ verdict: "suspicious", score: 50, tags: urlTags });
  const total = Number(answer.url_count ?? urls.length);
  const firstSeen = isoOfUrlhausDate(answer.firstseen);
  return verdictOf(observable, strongest(signals), firstSeen, [
    `${Number.isFinite(total) ? total : urls.length} malware URLs (${online} online)${firstSeen ? `, first seen ${firstSeen.slice(0, 10)}` : ""}`,
    ...listings(answer.blacklists),
  ]);
}

export function payloadVerdict(
  observable: Lookup,
  answer: z.infer<typeof payloadAnswerSchema>,
): IntelVerdict {
  const firstSeen = isoOfUrlhausDate(answer.firstseen);
  const facts = [
    `payload${answer.file_type ? ` ${answer.file_type}` : ""}${answer.signature ? `, signature ${answer.signature}` : ""}`,
    ...(answer.url_count ? [`served by ${answer.url_count} URLs`] : []),
    ...(answer.virustotal?.result ? [`VirusTotal ${answer.virustotal.result}`] : []),
    ...(firstSeen ? [`first seen ${firstSeen.slice(0, 10)}`] : []),
  ];
  return verdictOf(observable, { verdict: "malicious", score: 90, tags: ["malware"] }, firstSeen, facts);
}
