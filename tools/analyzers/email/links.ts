/**
 * Links in a message: HTML anchors with their visible text, and bare URLs in the text part. One pass over
 * each: the next `</a>` is found once and reused, so megabytes of unclosed `<a href=` cost linear time
 * (a lazy `<a …>[\s\S]*?</a>` regex rescans to the end from every anchor).
 */
import { normalizeDomain } from "../domains.ts";
import { LIMITS } from "./bounds.ts";

export interface EmailLink {
  href: string;
  /** Visible anchor text, when the link came from HTML. */
  text: string;
  domain: string;
}

function domainOfUrl(href: string): string {
  try {
    return normalizeDomain(new URL(href).hostname.replace(/^\[|\]$/g, ""));
  } catch {
    return "";
  }
}

export const decodeEntities = (s: string) =>
  s
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&nbsp;/g, " ");

export interface ExtractedLinks {
  links: EmailLink[];
  /** Links seen past the count bound, or cut to the length bound. */
  dropped: number;
  cut: number;
}

/** Links from HTML anchors (with their visible text) and bare URLs in the text part, both bounded. */
export function extractLinks(html: string, text: string): ExtractedLinks {
  const links: EmailLink[] = [];
  const seen = new Set<string>();
  const hrefs = new Set<string>();
  let dropped = 0;
  let cut = 0;
  const add = (href: string, anchor: string) => {
    let cleaned = decodeEntities(href.trim());
    const key = `${cleaned}\u0000${anchor}`;
    if (!cleaned || seen.has(key)) return;
    if (links.length >= LIMITS.links) {
      dropped += 1;
      return;
    }
    seen.add(key);
    if (cleaned.length > LIMITS.urlChars) {
      cleaned = cleaned.slice(0, LIMITS.urlChars);
      cut += 1;
    }
    hrefs.add(cleaned);
    links.push({ href: cleaned, text: anchor, domain: domainOfUrl(cleaned) });
  };
  const lower = html.toLowerCase();
  const opener = /<a\b[^>]*>/gi;
  let close = -2;
  for (let match = opener.exec(html); match; match = opener.exec(html)) {
    const tagEnd = match.index + match[0].length;
    if (close !== -1 && close < tagEnd) close = lower.indexOf("</a>", tagEnd);
    if (close < 0) break;
    const attribute = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(match[0]);
    if (!attribute) continue;
    // Anchors do not overlap (the scan resumes after this one's `</a>`), so reading each whole stays linear.
    const inner = html.slice(tagEnd, close);
    const anchor = decodeEntities(inner.replace(/<[^>]*>/g, ""))
      .replace(/\s+/g, " ")
      .trim();
    add(attribute[1] ?? attribute[2] ?? attribute[3] ?? "", anchor);
    opener.lastIndex = close + 4;
  }
  for (const match of text.matchAll(/\bhttps?:\/\/[^\s<>"')\]]+/gi)) {
    if (!hrefs.has(match[0])) add(match[0], "");
  }
  return { links, dropped, cut };
}
