/**
 * Turns an RFC 5322 message into the facts the email analyzers read. Parsing is bounded (bounds.ts): the
 * message, its header block, header values, names, links, data: URLs, HTML and text are cut before any
 * regex reads them, and every cut is reported, so a hostile message costs bounded time and still gets a
 * verdict.
 */
import { createHash } from "node:crypto";
import { compile as compileHtmlToText } from "html-to-text";
import { simpleParser, type AddressObject, type ParsedMail } from "mailparser";
import { domainOfAddress } from "../domains.ts";
import { attachmentHtmlTraits, type HtmlTrait } from "./html-traits.ts";
import { cap, defuseHtml, LIMITS, renderableHtml, stripDataUrls, stripTags } from "./bounds.ts";
import { boundSource, minimalMessage } from "./source.ts";
import { extractLinks, type EmailLink } from "./links.ts";

export type { EmailLink } from "./links.ts";

export interface EmailAddress {
  address: string;
  name: string;
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
  /** Why the sender's address or display name is longer than any real one (they are cut in `from`). */
  overlongSender: string | null;
}

/** An address over the bound keeps its domain and the start of its local part, so it stays recognisable. */
function boundAddress(address: string): string {
  if (address.length <= LIMITS.senderAddressChars) return address;
  const at = address.lastIndexOf("@");
  const domain = at >= 0 ? address.slice(at + 1, at + 1 + 253) : "";
  return `${address.slice(0, Math.min(64, at < 0 ? 64 : at))}…@${domain}`;
}

function addresses(value: AddressObject | AddressObject[] | undefined): EmailAddress[] {
  const objects = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return objects
    .flatMap((o) =>
      o.value.flatMap((a) =>
        a.address
          ? [
              {
                address: boundAddress(a.address.toLowerCase()),
                name: (a.name ?? "").slice(0, LIMITS.senderNameChars),
                domain: domainOfAddress(boundAddress(a.address)),
              },
            ]
          : [],
      ),
    )
    .slice(0, 100);
}

/** The reason a sender is longer than any real one; mailparser's own values, before they are cut. */
function overlongSender(value: AddressObject | AddressObject[] | undefined): string | null {
  const first = (Array.isArray(value) ? value[0] : value)?.value[0];
  if (!first) return null;
  const address = first.address?.length ?? 0;
  const name = first.name.length;
  if (address > LIMITS.senderAddressChars)
    return `the sender address is ${address} characters long (RFC 5321 allows 254)`;
  if (name > LIMITS.senderNameChars)
    return `the sender display name is ${name} characters long (over ${LIMITS.senderNameChars})`;
  return null;
}

/** The message's own Content-Type (mailparser keeps it as `{ value, params }`), lower-case; "" if none. */
function rootContentType(parsed: ParsedMail): string {
  const header: unknown = parsed.headers.get("content-type");
  if (typeof header !== "object" || header === null || !("value" in header)) return "";
  return typeof header.value === "string" ? header.value.toLowerCase() : "";
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

function headerMap(parsed: ParsedMail, notes: string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  let cut = 0;
  for (const { key, line } of parsed.headerLines) {
    const value = line
      .slice(line.indexOf(":") + 1, line.indexOf(":") + 1 + LIMITS.headerValueChars * 2)
      .replace(/\r?\n[ \t]+/g, " ")
      .trim();
    if (value.length > LIMITS.headerValueChars || line.length > LIMITS.headerValueChars * 2) cut += 1;
    const values = map.get(key.toLowerCase()) ?? [];
    values.push(value.slice(0, LIMITS.headerValueChars));
    map.set(key.toLowerCase(), values);
  }
  if (cut) notes.push(`${cut} header value(s) cut to ${LIMITS.headerValueChars} characters`);
  return map;
}

/** The verdicts in the topmost Authentication-Results, the one our own receiving server wrote. */
export function parseAuthenticationResults(value: string | undefined): AuthenticationResults | null {
  if (!value) return null;
  const method = (name: string) =>
    new RegExp(`\\b${name}=([a-z]+)`, "i").exec(value)?.[1]?.toLowerCase() ?? null;
  return { spf: method("spf"), dkim: method("dkim"), dmarc: method("dmarc"), compauth: method("compauth") };
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

const PARSE_OPTIONS = { skipImageLinks: true, skipTextToHtml: true } as const;

/**
 * html-to-text with its default options, as mailparser calls it (`htmlToText(html)`, the same pinned
 * version), compiled once: convert() compiles its options again on every call.
 */
const htmlToText = compileHtmlToText();

/**
 * mailparser without its HTML-to-text step, which is quadratic in tag nesting (a 500 kB one-line HTML body
 * took over a minute). When the HTML is of a reasonable size the message is parsed again with it, so the
 * text is exactly what mailparser gives; otherwise `text` is null and the caller strips the tags.
 */
async function parseBounded(
  source: string,
  notes: string[],
): Promise<{ parsed: ParsedMail; text: string | null }> {
  const parsed = await simpleParser(source, { ...PARSE_OPTIONS, skipHtmlToText: true });
  const html = typeof parsed.html === "string" ? parsed.html : "";
  if (!html) return { parsed, text: parsed.text ?? "" };
  if (renderableHtml(html)) {
    // Under a multipart/alternative root every HTML part is an alternative to a text part, and mailparser
    // renders none of them: the text is already what the second parse would give (a third of the corpus).
    const root = rootContentType(parsed);
    if (root === "multipart/alternative") return { parsed, text: parsed.text ?? "" };
    try {
      // A message that is one HTML part (a quarter of the corpus, most phishing kits): mailparser's text
      // is html-to-text of that part, which is the whole of `html`. Rendered here, without a second parse.
      if (root === "text/html") return { parsed, text: htmlToText(html) };
      return { parsed, text: (await simpleParser(source, PARSE_OPTIONS)).text ?? "" };
    } catch {
      notes.push("the HTML could not be rendered as text; its tags were stripped");
    }
  } else {
    notes.push(`the HTML is over ${LIMITS.htmlToTextTags} tags; its text was read with a plain tag strip`);
  }
  return { parsed, text: null };
}

// A parse is a pure function of the text, and one triage of a reported message reads the same text three
// times (the alert made from the file, the campaign lookup, the playbook's plan and assessment): the
// last few results are kept, keyed by the text itself, so each message is parsed once. Callers treat the
// facts as read-only. Only a handful are held: a batch moves on message by message.
const recentlyParsed = new Map<string, Promise<EmailFacts>>();
const RECENT_PARSES = 4;

/**
 * The facts of a message. `raw` may be the output of `boundSource` (what `triage email` serves the
 * playbook): the bounds it applied are read back from its marker line and reported again.
 */
export function parseEmail(raw: string): Promise<EmailFacts> {
  const kept = recentlyParsed.get(raw);
  if (kept) return kept;
  const parsing = parseEmailText(raw);
  recentlyParsed.set(raw, parsing);
  if (recentlyParsed.size > RECENT_PARSES) {
    const oldest = recentlyParsed.keys().next();
    if (!oldest.done) recentlyParsed.delete(oldest.value);
  }
  // A failed parse is not kept: the next reader gets the error afresh.
  parsing.catch(() => recentlyParsed.delete(raw));
  return parsing;
}

async function parseEmailText(raw: string): Promise<EmailFacts> {
  const { source: stripped, notes: truncated } = boundSource(raw);
  const note = (bounded: { value: string; note: string | null }) => {
    if (bounded.note) truncated.push(bounded.note);
    return bounded.value;
  };
  let result: { parsed: ParsedMail; text: string | null };
  try {
    result = await parseBounded(stripped, truncated);
  } catch (error) {
    // A message the parser rejects is still evidence: keep what a minimal reading gets, and say so.
    truncated.push(
      `the MIME parser rejected the message (${(error instanceof Error ? error.message : String(error)).slice(0, 200)})`,
    );
    result = await parseBounded(minimalMessage(stripped), truncated);
  }
  const { parsed } = result;
  const headers = headerMap(parsed, truncated);
  const from = addresses(parsed.from)[0] ?? null;
  const rawHtml = typeof parsed.html === "string" ? parsed.html : "";
  const html = defuseHtml(note(cap(stripDataUrls(rawHtml).value, LIMITS.htmlChars, "HTML")));
  const plain = parsed.text?.trim() ? `${parsed.text}\n` : "";
  const text = note(cap(result.text ?? `${plain}${stripTags(html)}`, LIMITS.textChars, "text"));
  const extracted = extractLinks(html, text);
  if (extracted.dropped) truncated.push(`only the first ${LIMITS.links} links were read`);
  if (extracted.cut) truncated.push(`${extracted.cut} link(s) cut to ${LIMITS.urlChars} characters`);
  if (parsed.attachments.length > LIMITS.attachments)
    truncated.push(
      `only the first ${LIMITS.attachments} of ${parsed.attachments.length} attachments were read`,
    );
  const filenames = parsed.attachments.filter((a) => (a.filename ?? "").length > LIMITS.filenameChars).length;
  if (filenames) truncated.push(`${filenames} attachment name(s) cut to ${LIMITS.filenameChars} characters`);
  const returnPath =
    headers.get("return-path")?.[0]?.replace(/[<>]/g, "").trim().toLowerCase().slice(0, LIMITS.urlChars) ||
    null;
  return {
    from,
    replyTo: addresses(parsed.replyTo),
    returnPath,
    to: addresses(parsed.to),
    subject: note(cap(parsed.subject ?? "", LIMITS.subjectChars, "subject")),
    messageId: parsed.messageId?.slice(0, LIMITS.urlChars) ?? null,
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
    hasPlainPart: /^content-type:\s*text\/plain/im.test(stripped) || !/^content-type:/im.test(stripped),
    links: extracted.links,
    attachments: parsed.attachments
      .slice(0, LIMITS.attachments)
      .map((a) =>
        describeAttachment((a.filename ?? "").slice(0, LIMITS.filenameChars), a.contentType, a.content),
      ),
    truncated,
    overlongSender: overlongSender(parsed.from),
  };
}
