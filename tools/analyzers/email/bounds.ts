/**
 * Bounds on untrusted message text, applied before any regex reads it. Every function here is a single
 * linear pass: a hostile message (megabytes of `<a `, unclosed `<style`, 1 MB data: URLs, 100,000-deep
 * tags) costs time in proportion to its size, never its square.
 */
export const LIMITS = {
  /** Bytes of a message handed to the MIME parser. */
  messageBytes: 5_000_000,
  /** Bytes of the top-level header block. */
  headerBytes: 256_000,
  /** Characters of HTML and of text the analyzers read. */
  htmlChars: 1_000_000,
  textChars: 1_000_000,
  /** A data: URL longer than this keeps only its media type (inline images in real mail stay under it). */
  dataUrlChars: 100_000,
  /** Characters of one header value, the subject, an attachment name, a link. */
  headerValueChars: 32_768,
  subjectChars: 2_000,
  filenameChars: 255,
  urlChars: 2_048,
  links: 200,
  attachments: 100,
  /** html-to-text (and the parser under it) is quadratic in nesting; beyond this many tags a plain strip is used. */
  htmlToTextTags: 20_000,
  /** RFC 5321 allows 254 characters in a path; 320 is the longest address anything real sends. */
  senderAddressChars: 320,
  senderNameChars: 1_000,
} as const;

/** What a bound did, for the "parsing was bounded" finding; null when it changed nothing. */
export interface Bounded {
  value: string;
  note: string | null;
}

/** Cuts `value` to `max` characters, with a note naming `what`. */
export function cap(value: string, max: number, what: string): Bounded {
  if (value.length <= max) return { value, note: null };
  return { value: `${value.slice(0, max)}…`, note: `${what} cut to ${max} characters of ${value.length}` };
}

/**
 * Replaces the payload of every data: URL longer than the bound with "…", keeping its media type. The
 * class stops at the characters that end a URL in HTML, so each payload is scanned once.
 */
export function stripDataUrls(value: string): Bounded {
  let count = 0;
  const out = value.replace(/data:([a-z0-9.+/-]{0,100})([;,][^"'\s<>)]*)/gi, (match, type: string) => {
    if (match.length <= LIMITS.dataUrlChars) return match;
    count += 1;
    return `data:${type},…`;
  });
  return count
    ? { value: out, note: `${count} data: URL(s) over ${LIMITS.dataUrlChars} characters were dropped` }
    : { value, note: null };
}

/**
 * Makes HTML safe for the tag-stripping regexes downstream (`<[^>]*>`, `<style[\s\S]*?<\/style>`): a `<`
 * with no `>` before the next `<` becomes `&lt;` (beyond the first hundred), and a `<style` or `<script`
 * opener after the last closer is dropped. Both would otherwise make each regex scan on from every such
 * position. The lookahead stops at the next `<` or `>`, so the scans do not overlap and the pass is linear.
 */
export function defuseHtml(html: string): string {
  // A few stray `<` (a "<3", "a < b") cost little and are left alone, so ordinary mail reads as it always did.
  const dangling = /<(?=[^<>]*(?:<|$))/g;
  let out = (html.match(dangling)?.length ?? 0) > 100 ? html.replace(dangling, "&lt;") : html;
  for (const tag of ["style", "script"]) {
    const lower = out.toLowerCase();
    if (!lower.includes(`<${tag}`)) continue;
    const from = Math.max(0, lower.lastIndexOf(`</${tag}`));
    out = out.slice(0, from) + out.slice(from).replace(new RegExp(`<${tag}\\b[^<>]*>`, "gi"), "");
  }
  return out;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", nbsp: " " };

/** The words of defused HTML without a DOM: tags become spaces, common entities are decoded. */
export function stripTags(html: string): string {
  return html
    .replace(/<[^>]*>/g, " ")
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, name: string) => ENTITIES[name] ?? " ")
    .replace(/[ \t]+/g, " ");
}

/** Whether HTML is small enough for html-to-text, whose parser is quadratic in nesting depth. */
export function renderableHtml(html: string): boolean {
  if (html.length > LIMITS.htmlChars) return false;
  let tags = 0;
  for (let i = html.indexOf("<"); i >= 0; i = html.indexOf("<", i + 1)) {
    tags += 1;
    if (tags > LIMITS.htmlToTextTags) return false;
  }
  return true;
}
