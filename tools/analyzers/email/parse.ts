/**
 * Turns an RFC 5322 message into the facts the email analyzers read. Parsing is bounded: a message larger
 * than the limit is cut before parsing, and the cut is reported, so a hostile message cannot hang triage.
 */
import { createHash } from "node:crypto";
import { simpleParser, type AddressObject, type ParsedMail } from "mailparser";
import { domainOfAddress, normalizeDomain } from "../domains.ts";
import { attachmentHtmlTraits, type HtmlTrait } from "./html-traits.ts";

export const MAX_MESSAGE_BYTES = 5_000_000;
const MAX_LINKS = 200;
const MAX_HTML_SCAN = 1_000_000;

export interface EmailAddress {
  address: string;
  name: string;
  domain: string;
}

export interface EmailLink {
  href: string;
  /** Visible anchor text, when the link came from HTML. */
  text: string;
  domain: string;
}

export interface EmailAttachment {
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  /** Office macro project inside (OLE or OOXML vbaProject.bin). */
  hasMacro: boolean;
  /** Windows PE or ELF content. */
  isExecutable: boolean;
  /** ZIP, RAR, 7z, gzip or CAB content. */
  isArchive: boolean;
  /** A ZIP entry with the encryption flag: scanners cannot look inside. */
  encrypted: boolean;
  /** What the bytes are, by magic number, when that differs from what the name claims. */
  realType: string | null;
  /** What an HTML/SVG attachment's source does (smuggles a file, asks for a password); empty otherwise. */
  htmlTraits: HtmlTrait[];
}

export interface AuthenticationResults {
  spf: string | null;
  dkim: string | null;
  dmarc: string | null;
  compauth: string | null;
}

export interface EmailFacts {
  from: EmailAddress | null;
  replyTo: EmailAddress[];
  /** The Sender: header (who actually sent it on behalf of From:), when present. */
  sender: EmailAddress | null;
  returnPath: string | null;
  to: EmailAddress[];
  subject: string;
  messageId: string | null;
  date: string | null;
  /** Lower-case header name → raw values, in order. */
  headers: Map<string, string[]>;
  auth: AuthenticationResults | null;
  receivedHops: number;
  listUnsubscribe: boolean;
  text: string;
  html: string;
  /** Whether the sender wrote a text/plain part (many phishing kits send HTML only). */
  hasPlainPart: boolean;
  links: EmailLink[];
  attachments: EmailAttachment[];
  /** Limits hit while parsing, reported as findings. */
  truncated: string[];
}

function addresses(value: AddressObject | AddressObject[] | undefined): EmailAddress[] {
  const objects = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return objects.flatMap((o) =>
    o.value.flatMap((a) =>
      a.address
        ? [{ address: a.address.toLowerCase(), name: a.name ?? "", domain: domainOfAddress(a.address) }]
        : [],
    ),
  );
}

/** mailparser types header values loosely; an address header is an object with a `value` array. */
function asAddressObject(value: unknown): AddressObject | undefined {
  if (typeof value !== "object" || value === null || !("value" in value) || !Array.isArray(value.value))
    return undefined;
  const list: unknown[] = value.value;
  const entries = list.flatMap((v) =>
    typeof v === "object" && v !== null && "address" in v && typeof v.address === "string"
      ? [{ address: v.address, name: "name" in v && typeof v.name === "string" ? v.name : "" }]
      : [],
  );
  return { value: entries, html: "", text: "" };
}

function headerMap(parsed: ParsedMail): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { key, line } of parsed.headerLines) {
    const value = line
      .slice(line.indexOf(":") + 1)
      .replace(/\r?\n[ \t]+/g, " ")
      .trim();
    map.set(key.toLowerCase(), [...(map.get(key.toLowerCase()) ?? []), value]);
  }
  return map;
}

/** The verdicts in the topmost Authentication-Results, the one our own receiving server wrote. */
export function parseAuthenticationResults(value: string | undefined): AuthenticationResults | null {
  if (!value) return null;
  const method = (name: string) =>
    new RegExp(`\\b${name}=([a-z]+)`, "i").exec(value)?.[1]?.toLowerCase() ?? null;
  return { spf: method("spf"), dkim: method("dkim"), dmarc: method("dmarc"), compauth: method("compauth") };
}

function domainOfUrl(href: string): string {
  try {
    return normalizeDomain(new URL(href).hostname.replace(/^\[|\]$/g, ""));
  } catch {
    return "";
  }
}

const decodeEntities = (s: string) =>
  s
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&nbsp;/g, " ");

/** Links from HTML anchors (with their visible text) and bare URLs in the text part. */
export function extractLinks(html: string, text: string): EmailLink[] {
  const links: EmailLink[] = [];
  const seen = new Set<string>();
  const add = (href: string, anchor: string) => {
    const cleaned = decodeEntities(href.trim());
    const key = `${cleaned}\u0000${anchor}`;
    if (!cleaned || seen.has(key) || links.length >= MAX_LINKS) return;
    seen.add(key);
    links.push({ href: cleaned, text: anchor, domain: domainOfUrl(cleaned) });
  };
  const scanned = html.slice(0, MAX_HTML_SCAN);
  for (const match of scanned.matchAll(
    /<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>([\s\S]*?)<\/a>/gi,
  )) {
    const href = match[1] ?? match[2] ?? match[3] ?? "";
    const anchor = decodeEntities((match[4] ?? "").replace(/<[^>]*>/g, ""))
      .replace(/\s+/g, " ")
      .trim();
    add(href, anchor);
  }
  for (const match of text.slice(0, MAX_HTML_SCAN).matchAll(/\bhttps?:\/\/[^\s<>"')\]]+/gi)) {
    if (!links.some((l) => l.href === match[0])) add(match[0], "");
  }
  return links;
}

const MAGIC: Array<{ type: string; bytes: string; extensions: RegExp }> = [
  { type: "pe", bytes: "MZ", extensions: /\.(exe|dll|scr|com|cpl|sys)$/i },
  {
    type: "zip",
    bytes: "PK\u0003\u0004",
    extensions: /\.(zip|docx|docm|xlsx|xlsm|pptx|pptm|jar|apk|odt|ods)$/i,
  },
  { type: "pdf", bytes: "%PDF", extensions: /\.pdf$/i },
  { type: "rar", bytes: "Rar!", extensions: /\.rar$/i },
  { type: "7z", bytes: "7z\u00bc\u00af", extensions: /\.7z$/i },
  { type: "ole", bytes: "\u00d0\u00cf\u0011\u00e0", extensions: /\.(doc|xls|ppt|msi|msg)$/i },
  { type: "gzip", bytes: "\u001f\u008b", extensions: /\.(gz|tgz)$/i },
  { type: "cab", bytes: "MSCF", extensions: /\.cab$/i },
];

/** Any local ZIP header in the first megabyte with general-purpose bit 0 (encrypted) set. */
function zipEncrypted(content: Buffer): boolean {
  const limit = Math.min(content.length - 8, 1_000_000);
  for (
    let i = content.indexOf("PK\u0003\u0004");
    i >= 0 && i < limit;
    i = content.indexOf("PK\u0003\u0004", i + 4)
  ) {
    if (((content[i + 6] ?? 0) & 1) === 1) return true;
  }
  return false;
}

function describeAttachment(filename: string, contentType: string, content: Buffer): EmailAttachment {
  const head = content.subarray(0, 4);
  const isExecutable = (head[0] === 0x4d && head[1] === 0x5a) || head.toString("latin1") === "\x7fELF";
  const magic = MAGIC.find((m) => content.subarray(0, m.bytes.length).toString("latin1") === m.bytes);
  const isArchive =
    magic !== undefined &&
    ["zip", "rar", "7z", "gzip", "cab"].includes(magic.type) &&
    !/\.(docx|docm|xlsx|xlsm|pptx|pptm|odt|ods)$/i.test(filename);
  const named = MAGIC.find((m) => m.extensions.test(filename));
  return {
    isArchive,
    encrypted: magic?.type === "zip" && zipEncrypted(content),
    realType: magic && named && magic.type !== named.type ? magic.type : null,
    filename,
    contentType: contentType.toLowerCase(),
    size: content.length,
    sha256: createHash("sha256").update(content).digest("hex"),
    hasMacro: content.includes("vbaProject.bin") || content.includes("_VBA_PROJECT"),
    isExecutable,
    htmlTraits: attachmentHtmlTraits(filename, contentType, content),
  };
}

const MAX_HEADER_BYTES = 256_000;

/** Keeps header lines until the block reaches the bound; the body is untouched. */
function boundHeaders(source: string): string {
  const end = source.search(/\r?\n\r?\n/);
  const headEnd = end < 0 ? source.length : end;
  if (headEnd <= MAX_HEADER_BYTES) return source;
  const head = source.slice(0, MAX_HEADER_BYTES);
  const lastLine = head.lastIndexOf("\n");
  return `${head.slice(0, lastLine > 0 ? lastLine : MAX_HEADER_BYTES)}${source.slice(headEnd)}`;
}

/** From, To, Subject and the first 100 kB of body as plain text: what is left when MIME parsing fails. */
function minimalMessage(source: string): string {
  const end = source.search(/\r?\n\r?\n/);
  const head = end < 0 ? source : source.slice(0, end);
  const keep = head.split(/\r?\n/).filter((l) => /^(from|to|subject|reply-to|message-id):/i.test(l));
  const body = end < 0 ? "" : source.slice(end).slice(0, 100_000);
  return `${keep.join("\r\n")}\r\nContent-Type: text/plain\r\n${body}`;
}

export async function parseEmail(raw: string): Promise<EmailFacts> {
  const truncated: string[] = [];
  let source = raw;
  if (source.length > MAX_MESSAGE_BYTES) {
    truncated.push(`message cut to ${MAX_MESSAGE_BYTES} bytes of ${source.length}`);
    source = source.slice(0, MAX_MESSAGE_BYTES);
  }
  const bounded = boundHeaders(source);
  if (bounded !== source) truncated.push(`header block cut to ${MAX_HEADER_BYTES} bytes`);
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(bounded, { skipImageLinks: true, skipTextToHtml: true });
  } catch (error) {
    // A message the parser rejects is still evidence: keep what a minimal reading gets, and say so.
    truncated.push(
      `the MIME parser rejected the message (${error instanceof Error ? error.message : String(error)})`,
    );
    parsed = await simpleParser(minimalMessage(bounded), { skipImageLinks: true, skipTextToHtml: true });
  }
  const headers = headerMap(parsed);
  const from = addresses(parsed.from)[0] ?? null;
  const html = typeof parsed.html === "string" ? parsed.html : "";
  const text = parsed.text ?? "";
  const links = extractLinks(html, text);
  if (links.length >= MAX_LINKS) truncated.push(`only the first ${MAX_LINKS} links were read`);
  const returnPath = headers.get("return-path")?.[0]?.replace(/[<>]/g, "").trim().toLowerCase() || null;
  return {
    from,
    replyTo: addresses(parsed.replyTo),
    returnPath,
    to: addresses(parsed.to),
    subject: parsed.subject ?? "",
    messageId: parsed.messageId ?? null,
    date: parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date.toISOString() : null,
    headers,
    // Our server's stamp first; a forwarded message may only carry the ARC copy of it.
    auth: parseAuthenticationResults(
      headers.get("authentication-results")?.[0] ?? headers.get("arc-authentication-results")?.[0],
    ),
    sender: addresses(asAddressObject(parsed.headers.get("sender")))[0] ?? null,
    receivedHops: headers.get("received")?.length ?? 0,
    listUnsubscribe: headers.has("list-unsubscribe"),
    text,
    html,
    hasPlainPart: /^content-type:\s*text\/plain/im.test(source) || !/^content-type:/im.test(source),
    links,
    attachments: parsed.attachments.map((a) =>
      describeAttachment(a.filename ?? "", a.contentType, a.content),
    ),
    truncated,
  };
}
