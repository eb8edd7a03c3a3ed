/**
 * What makes two reported messages "the same attack": a normalized body hash (equal after the parts a
 * campaign varies per recipient are masked), a 64-bit SimHash of the normalized text for near-duplicates,
 * the sender's infrastructure, the payload (URLs, attachment hashes) and the thread the message belongs to.
 * Pure functions over parsed facts; the join rule that reads them is campaign-join.ts.
 */
import { createHash, hash } from "node:crypto";
import { z } from "zod";
import { registrableDomain } from "../domains.ts";
import type { EmailFacts } from "./parse.ts";

/** A stored fingerprint read back from case memory. */
export const campaignFingerprintSchema = z.object({
  messageId: z.string().nullable(),
  bodyHash: z.string().nullable(),
  simhash: z.string().nullable(),
  infrastructure: z.array(z.string()),
  urls: z.array(z.string()),
  attachmentHashes: z.array(z.string()),
  salient: z.array(z.string()),
  subject: z.string(),
  thread: z.array(z.string()),
});

export interface CampaignFingerprint {
  messageId: string | null;
  /** SHA-256 (hex, 32 chars) of the normalized body; null when the body says nothing. */
  bodyHash: string | null;
  /** 64-bit SimHash of the normalized body's word 3-shingles, 16 hex digits; null for short bodies. */
  simhash: string | null;
  /** Registrable domains and IPs that sent it: From, Return-Path, DKIM d=, the first public Received IP. */
  infrastructure: string[];
  /** Every link, exact (with its per-recipient token) and as host+path (without the query). */
  urls: string[];
  attachmentHashes: string[];
  /**
   * Values a lure shares across copies but two legitimate messages of one template do not: amounts,
   * invoice and order numbers, dates. Near-duplicates join only when these agree.
   */
  salient: string[];
  /** The normalized subject without Re:/Fwd:, for display and the thread guard. */
  subject: string;
  /** Message-IDs this message answers (In-Reply-To, References): a thread, never a campaign. */
  thread: string[];
}

const MIN_SHINGLES = 8;
const QUOTE_START =
  /^(?:-{2,}\s*original message\s*-{2,}|on .{4,160} wrote:\s*$|from:\s.+$\n^(?:sent|date):\s)/im;
// Blanks within the line only (as THREAD_MARKERS in features.ts): \s* crossed line ends and made a long
// blank run quadratic. The blank lines it used to swallow are collapsed with all whitespace below.
const GREETING =
  /^[^\S\r\n\u2028\u2029]*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|greetings)\b[^\n]{0,60}$/gim;
const EMAIL = /[a-z0-9._%+-]+@(?:[a-z0-9-]+\.)+[a-z]{2,}/gi;
const URL_TEXT = /\bhttps?:\/\/[^\s<>"')]+/gi;
// A tracking token or per-recipient id: a long run mixing letters and digits (hex ids, base64 slugs).
const TOKEN = /\b(?=[a-z0-9_-]*\d)(?=[a-z0-9_-]*[a-z])[a-z0-9_-]{10,}\b/gi;
const AMOUNT = /(?:[$€£¥]\s?\d[\d,.]*|\b\d[\d,.]*\s?(?:usd|eur|gbp|dollars|euros)\b)/gi;
const NUMBER_ID =
  /\b(?:invoice|inv|order|po|ref|reference|account|acct|ticket|case)\s*(?:no\.?|number|#|:)?\s*([a-z0-9-]*\d[a-z0-9-]*)/gi;
const DATE =
  /\b(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?(?:,? \d{4})?)\b/gi;
const REPLY_PREFIX = /^\s*(?:(?:re|fw|fwd|aw|sv|antw|tr)\s*:\s*)+/i;
const PRIVATE_IP = /^(?:10\.|127\.|192\.168\.|172\.(?:1[6-9]|2\d|3[01])\.|169\.254\.)/;

/** The body as the campaign wrote it: quoted history cut, greeting lines, addresses, links and tokens masked. */
export function normalizeBody(text: string, recipients: readonly string[] = []): string {
  let body = text.slice(0, 200_000);
  const quote = QUOTE_START.exec(body);
  if (quote) body = body.slice(0, quote.index);
  body = body
    .split("\n")
    .filter((line) => !line.trimStart().startsWith(">"))
    .join("\n")
    .replace(GREETING, " ")
    // Links and addresses first: a recipient's name inside their address must not break the address up.
    .replace(URL_TEXT, " ")
    .replace(EMAIL, " ");
  for (const r of recipients) {
    const local = r.split("@")[0] ?? "";
    // A recipient's name in the body ("Dear jane.doe", "jane's account"): each part of the local part.
    for (const part of local.split(/[._-]/).filter((p) => p.length >= 3))
      body = body.replace(new RegExp(`\\b${part.replace(/[^a-z0-9]/gi, "")}\\b`, "gi"), " ");
  }
  return body
    .toLowerCase()
    .replace(TOKEN, " ")
    .replace(/[^\p{L}\p{N}$€£¥.,]+/gu, " ")
    .replace(/[.,](?=\s|$)/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/** SHA-256 of the normalized body, or null when it has fewer than 3 words (nothing to tell copies by). */
export function bodyHash(normalized: string): string | null {
  if (normalized.split(" ").length < 3) return null;
  return createHash("sha256").update(normalized).digest("hex").slice(0, 32);
}

/**
 * 64-bit SimHash over word 3-shingles (each shingle's hash: the first 8 bytes of its SHA-256, big-endian);
 * null when the text has too few shingles to be compared. The bits are counted on the two 32-bit halves
 * as plain numbers: a BigInt shift per bit allocated 64 BigInts per shingle.
 */
export function simhash(normalized: string): string | null {
  const words = normalized.split(" ").filter(Boolean);
  const shingles = new Set<string>();
  for (let i = 0; i + 3 <= words.length; i++) shingles.add(`${words[i]} ${words[i + 1]} ${words[i + 2]}`);
  if (shingles.size < MIN_SHINGLES) return null;
  const counts = new Array<number>(64).fill(0);
  for (const shingle of shingles) {
    const digest = hash("sha256", shingle, "buffer");
    const low = digest.readUInt32BE(4);
    const high = digest.readUInt32BE(0);
    for (let bit = 0; bit < 32; bit++) {
      counts[bit] = (counts[bit] ?? 0) + ((low >>> bit) & 1 ? 1 : -1);
      counts[bit + 32] = (counts[bit + 32] ?? 0) + ((high >>> bit) & 1 ? 1 : -1);
    }
  }
  let out = 0n;
  for (let bit = 0; bit < 64; bit++) if ((counts[bit] ?? 0) > 0) out |= 1n << BigInt(bit);
  return out.toString(16).padStart(16, "0");
}

/** 1 − Hamming distance / 64 between two SimHashes. */
export function simhashSimilarity(a: string, b: string): number {
  let x = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let distance = 0;
  while (x) {
    distance += Number(x & 1n);
    x >>= 1n;
  }
  return 1 - distance / 64;
}

function firstPublicReceivedIp(headers: Map<string, string[]>): string | null {
  // Received headers are newest first; the last one with a public IP is where the mail entered the internet.
  const hops = [...(headers.get("received") ?? [])].reverse();
  for (const hop of hops) {
    for (const m of hop.matchAll(/\[(\d{1,3}(?:\.\d{1,3}){3})\]/g)) {
      const ip = m[1] ?? "";
      if (!PRIVATE_IP.test(ip)) return ip;
    }
  }
  return null;
}

function dkimDomains(headers: Map<string, string[]>): string[] {
  return (headers.get("dkim-signature") ?? []).flatMap((v) => {
    const d = /(?:^|;)\s*d=([a-z0-9.-]+)/i.exec(v)?.[1];
    return d ? [registrableDomain(d.toLowerCase())] : [];
  });
}

/** A link without its query and fragment: where it goes, not whom it tracks. */
export function urlWithoutQuery(href: string): string | null {
  try {
    const u = new URL(href);
    if (u.protocol !== "http:" && u.protocol !== "https:") return null;
    return `${u.protocol}//${u.hostname.toLowerCase()}${u.pathname.replace(/\/+$/, "")}`;
  } catch {
    return null;
  }
}

export function salientValues(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(AMOUNT)) out.add(`amount:${m[0].replace(/\s/g, "").toLowerCase()}`);
  for (const m of text.matchAll(NUMBER_ID)) if (m[1]) out.add(`id:${m[1].toLowerCase()}`);
  for (const m of text.matchAll(DATE)) out.add(`date:${m[0].toLowerCase()}`);
  return [...out].sort();
}

function messageIds(values: readonly string[]): string[] {
  return [...new Set(values.flatMap((v) => v.match(/<[^<>\s]+>/g) ?? []))];
}

export function campaignFingerprint(facts: EmailFacts): CampaignFingerprint {
  const text = facts.text || facts.html.replace(/<[^>]*>/g, " ");
  const recipients = facts.to.map((t) => t.address);
  const normalized = normalizeBody(text, recipients);
  const returnPath = facts.returnPath?.split("@")[1]?.replace(/>$/, "");
  const ip = firstPublicReceivedIp(facts.headers);
  const infrastructure = [
    ...(facts.from ? [registrableDomain(facts.from.domain)] : []),
    ...(returnPath ? [registrableDomain(returnPath.toLowerCase())] : []),
    ...dkimDomains(facts.headers),
    ...(ip ? [`ip:${ip}`] : []),
  ];
  const urls = facts.links.flatMap((l) => {
    const bare = urlWithoutQuery(l.href);
    return bare && bare !== l.href ? [l.href, bare] : [l.href];
  });
  return {
    messageId: facts.messageId,
    bodyHash: bodyHash(normalized),
    simhash: simhash(normalized),
    infrastructure: [...new Set(infrastructure.filter(Boolean))].sort(),
    urls: [...new Set(urls)].sort(),
    attachmentHashes: [...new Set(facts.attachments.map((a) => a.sha256))].sort(),
    salient: salientValues(text.slice(0, 200_000)),
    subject: facts.subject.replace(REPLY_PREFIX, "").trim().toLowerCase(),
    thread: messageIds([
      ...(facts.headers.get("in-reply-to") ?? []),
      ...(facts.headers.get("references") ?? []),
    ]),
  };
}
