/**
 * What an HTML document (a message body or an HTML/SVG attachment) does, as far as its source shows:
 * smuggling a file out of script, asking for a password, sending the reader elsewhere on load.
 */
export const HTML_TRAITS = ["smuggles_file", "password_form", "auto_redirect"] as const;
export type HtmlTrait = (typeof HTML_TRAITS)[number];

// Enough to read a smuggling page or a login form; a hostile attachment cannot make us scan more.
const MAX_SCAN = 1_000_000;

// HTML smuggling decodes an embedded payload in the browser and hands it to the user as a download, so
// no gateway ever sees the file. Both halves are needed: decoding alone is common in web pages.
const DECODES =
  /\b(atob\s*\(|String\.fromCharCode\s*\(|unescape\s*\(|decodeURIComponent\s*\(escape|new Uint8Array\s*\()/i;
const DROPS =
  /(new\s+Blob\s*\(|createObjectURL\s*\(|msSaveOrOpenBlob|msSaveBlob|\.download\s*=|<a\b[^>]*\bdownload\b[^>]*href\s*=\s*["']?data:)/i;
const DATA_DOWNLOAD = /<a\b[^>]*\bhref\s*=\s*["']?data:application\/[^;"']+;base64,[A-Za-z0-9+/]{200,}/i;
const PASSWORD_FORM = /<form\b[\s\S]{0,4000}?<input\b[^>]*\btype\s*=\s*["']?password\b/i;
const AUTO_REDIRECT =
  /(<meta\b[^>]*http-equiv\s*=\s*["']?refresh[^>]*url\s*=|(window\.|document\.)?location(\.href)?\s*=\s*["'`]https?:|location\.replace\s*\()/i;

export function htmlTraits(html: string): HtmlTrait[] {
  const source = html.slice(0, MAX_SCAN);
  const traits: HtmlTrait[] = [];
  if ((DECODES.test(source) && DROPS.test(source)) || DATA_DOWNLOAD.test(source))
    traits.push("smuggles_file");
  if (PASSWORD_FORM.test(source)) traits.push("password_form");
  if (AUTO_REDIRECT.test(source)) traits.push("auto_redirect");
  return traits;
}

/** Traits of an attachment a browser opens as a page (the only kind whose script runs on a double-click). */
export function attachmentHtmlTraits(filename: string, contentType: string, content: Buffer): HtmlTrait[] {
  const page =
    /\.(html?|shtml|xhtml|svg|mht(ml)?)$/i.test(filename) ||
    /^(text\/html|image\/svg\+xml)\b/i.test(contentType);
  return page ? htmlTraits(content.subarray(0, MAX_SCAN).toString("utf8")) : [];
}
