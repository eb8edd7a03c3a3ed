/**
 * A mail search as Gmail search syntax. Gmail's `q` is only a first cut: `from:` matches names and parts
 * of addresses, `subject:` matches words, and dates are whole seconds, so every answer is checked exactly
 * afterwards (see matches()). The cut must therefore never be narrower than the exact search: values with
 * characters Gmail treats as syntax (quotes, parentheses, braces, spaces, backslashes, control characters)
 * are quoted with those characters blanked, which only widens a phrase; the time bounds get a second of
 * slack. Values come from alerts and are never spliced raw.
 */
import { ToolError } from "../../../core/errors.ts";
import type { MailboxMessage, MailSearchQuery } from "../../../core/domain.ts";
import { VENDOR } from "./client.ts";

const PLAIN = /^[A-Za-z0-9@._%+=-]+$/;

/** `<id@host>` and `id@host` name the same message; Gmail's own example omits the brackets. */
export const bare = (value: string) =>
  value
    .trim()
    .replace(/^<(.*)>$/, "$1")
    .trim();

function term(operator: string, value: string, phrase: boolean): string {
  if (!phrase && PLAIN.test(value)) return `${operator}:${value}`;
  const cleaned = value
    // eslint-disable-next-line no-control-regex
    .replace(/["\\\u0000-\u001f\u007f(){}]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  // Nothing searchable is left: leave the term out; the exact check still applies.
  return cleaned ? `${operator}:"${cleaned}"` : "";
}

function seconds(iso: string, name: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms))
    throw new ToolError("BAD_INPUT", `${VENDOR}: ${name} is not an ISO 8601 timestamp: ${iso.slice(0, 60)}`, {
      vendor: VENDOR,
    });
  return ms / 1000;
}

export function gmailSearch(query: MailSearchQuery): string {
  return [
    query.messageId ? term("rfc822msgid", bare(query.messageId), false) : "",
    query.from ? term("from", bare(query.from), false) : "",
    query.subject ? term("subject", query.subject, true) : "",
    query.since ? `after:${Math.floor(seconds(query.since, "since")) - 1}` : "",
    query.until ? `before:${Math.ceil(seconds(query.until, "until")) + 1}` : "",
  ]
    .filter(Boolean)
    .join(" ");
}

/** The exact search: Message-ID, sender address (case-insensitively), subject, both time bounds inclusive. */
export function matches(message: MailboxMessage, query: MailSearchQuery): boolean {
  if (query.messageId && bare(message.messageId) !== bare(query.messageId)) return false;
  if (query.from && message.from.toLowerCase() !== bare(query.from).toLowerCase()) return false;
  if (query.subject && message.subject !== query.subject) return false;
  const at = Date.parse(message.receivedAt);
  if (query.since && at < seconds(query.since, "since") * 1000) return false;
  if (query.until && at > seconds(query.until, "until") * 1000) return false;
  return true;
}
