/**
 * Text for Slack's mrkdwn, built from untrusted input (alert titles, email subjects, evidence summaries).
 * Slack reads `<…>` as links and mentions (`<!channel>`, `<@U1>`, `<https://x|label>`) and `&` as the start
 * of an entity, so escaping these three characters is what stops a subject from pinging a channel or forging
 * a link. https://api.slack.com/reference/surfaces/formatting#escaping
 * Every piece of a card passes through here, so this is also where secrets are scrubbed before Slack.
 * Control characters and bidi overrides become visible escapes too (terminal-text.ts), so a subject cannot
 * reorder what a reviewer reads.
 */
import { redact } from "../../core/redact.ts";
import { escapeControl } from "../terminal-text.ts";

/** Escapes &, < and > (and control characters) so Slack shows the text as written. */
export function escapeMrkdwn(text: string): string {
  return escapeControl(text, { keepNewlines: true })
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

/**
 * Shortens already-escaped text to at most `max` characters, ending with "…". Never cuts inside an entity
 * such as `&amp;`, which Slack would show as broken text.
 */
export function clip(escaped: string, max: number): string {
  if (escaped.length <= max) return escaped;
  const cut = escaped.slice(0, Math.max(0, max - 1)).replace(/&[a-z]*$/, "");
  return `${cut}…`;
}

/** Escapes, then clips: the usual way to put untrusted text into a block. */
export function safeText(text: string, max: number): string {
  return clip(escapeMrkdwn(redact(text)), max);
}

/** Plain text (headers, buttons) is not parsed as mrkdwn; it only needs its length limit. */
export function clipPlain(raw: string, max: number): string {
  const text = redact(raw);
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Slack's limits on what this app sends (https://api.slack.com/reference/block-kit). */
export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  field: 2000,
  fields: 10,
  header: 150,
  contextElements: 10,
  buttonText: 75,
  fallbackText: 4000,
} as const;
