/**
 * The join rule: whether a reported message belongs to an existing campaign. Any one of
 *  - the same Message-ID (one message, reported by several people);
 *  - the same normalized body with the same amounts, ids and dates;
 *  - a payload in common (a URL or attachment hash) with a campaign judged malicious or suspicious (one
 *    payload, one analyst), never with one judged safe;
 *  - a near-duplicate body (SimHash ≥ NEAR_DUPLICATE) from the same sender infrastructure, with the same
 *    amounts, ids and dates;
 * and never a reply in the same thread. The salient-values guard is what keeps two invoices of one vendor
 * (or two issues of one newsletter) apart: their templates are near-duplicates, their figures are not.
 */
import { isBrandDomain } from "../brands.ts";
import { registrableDomain } from "../domains.ts";
import { simhashSimilarity, type CampaignFingerprint } from "./campaign-fingerprint.ts";

/**
 * Measured (docs/campaigns.md, evals/campaign-threshold.ts): distinct legitimate messages of one sender
 * domain top out at 0.84 on the shared corpora (2 near-identical notices of 109,726 pairs above it),
 * while 88% of campaign variants reach 0.875 (the rest join by their normalized body).
 */
export const NEAR_DUPLICATE = 0.875;

export type JoinReason = "message_id" | "body_hash" | "payload" | "near_duplicate";

export interface CampaignMember {
  fingerprint: CampaignFingerprint;
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/** One message answers the other, or both answer one thread: a conversation, not a campaign. */
export function sameThread(a: CampaignFingerprint, b: CampaignFingerprint): boolean {
  if (a.messageId && b.thread.includes(a.messageId)) return true;
  if (b.messageId && a.thread.includes(b.messageId)) return true;
  return a.thread.some((id) => b.thread.includes(id));
}

// Every issue of a mailing links the same unsubscribe and preferences pages: list machinery, not payload.
const LIST_MANAGEMENT =
  /\/(?:unsubscribe|optout|opt-out|preferences|manage-subscription|email-preferences)\b/i;

function hostOf(url: string): string {
  try {
    return registrableDomain(new URL(url).hostname.toLowerCase());
  } catch {
    return "";
  }
}

/**
 * Payload that can identify an attack: attachment hashes, and links off well-known brands' and the
 * organization's own domains (a lure's footer links to microsoft.com as the real thing does).
 */
export function payloadIndicators(fp: CampaignFingerprint, ownDomains: readonly string[]): string[] {
  const own = new Set(ownDomains.map((d) => registrableDomain(d.toLowerCase())));
  const urls = fp.urls.filter((u) => {
    const host = hostOf(u);
    return host !== "" && !own.has(host) && !isBrandDomain(host) && !LIST_MANAGEMENT.test(u);
  });
  return [...urls, ...fp.attachmentHashes.map((h) => `sha256:${h}`)];
}

/** Why `candidate` joins the campaign of `member`, or null. */
export function joinReason(
  candidate: CampaignFingerprint,
  member: CampaignFingerprint,
  options: { payloadJoins: boolean; ownDomains: readonly string[] },
): JoinReason | null {
  if (candidate.messageId && candidate.messageId === member.messageId) return "message_id";
  if (sameThread(candidate, member)) return null;
  const sameFigures = sameList(candidate.salient, member.salient);
  if (candidate.bodyHash && candidate.bodyHash === member.bodyHash && sameFigures) return "body_hash";
  if (options.payloadJoins) {
    const theirs = new Set(payloadIndicators(member, options.ownDomains));
    if (payloadIndicators(candidate, options.ownDomains).some((p) => theirs.has(p))) return "payload";
  }
  if (
    candidate.simhash &&
    member.simhash &&
    sameFigures &&
    candidate.infrastructure.some((i) => member.infrastructure.includes(i)) &&
    simhashSimilarity(candidate.simhash, member.simhash) >= NEAR_DUPLICATE
  )
    return "near_duplicate";
  return null;
}

/**
 * What a report is looked up by. Every payload is a key; whether a shared one may join is decided by
 * joinReason once the campaign's verdict is known. Infrastructure is a key only to find near-duplicates.
 */
export function campaignKeys(fp: CampaignFingerprint): Array<[kind: string, value: string]> {
  return [
    ...(fp.messageId ? [["message_id", fp.messageId] as [string, string]] : []),
    ...(fp.bodyHash ? [["body_hash", fp.bodyHash] as [string, string]] : []),
    ...payloadIndicators(fp, []).map((p): [string, string] => ["payload", p]),
    ...fp.infrastructure.map((i): [string, string] => ["infra", i]),
  ];
}
