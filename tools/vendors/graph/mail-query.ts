/**
 * A mail search → one Outlook `$filter` per mailbox, and the exact check applied to what comes back.
 *
 * Why `$filter` and not `$search`: `$filter` reads the mailbox store, so a message delivered a minute ago
 * is found (the `$search` index lags), it combines with the time window, and it allows server-side ordering.
 * Outlook only sorts a filtered query when the `$orderby` property leads the filter, so the filter always
 * opens with `receivedDateTime ge …` (the epoch of 1900 when the query has no `since`).
 *
 * Outlook compares strings case-insensitively, so the server may answer more than we asked (a subject in
 * other case): every result goes through `matches`, which is exact (the sender case-insensitively).
 * Values come from alerts: strings are OData literals with quotes doubled, timestamps are re-rendered from
 * a parsed date, and the query string is URL-encoded by the HTTP client.
 */
import { ToolError } from "../../../core/errors.ts";
import type { MailSearchQuery } from "../../../core/domain.ts";
import { odataString } from "../microsoft/common.ts";
import { instant } from "./client.ts";

/** The parts of a Graph message the search reads. */
export interface SearchedMessage {
  internetMessageId: string;
  from: string;
  subject: string;
  receivedAt: string;
}

export interface MessageFilter {
  filter: string;
  orderby: string;
  matches(message: SearchedMessage): boolean;
}

const EPOCH = "1900-01-01T00:00:00Z";

/** BAD_INPUT when the query names nothing to look for (an empty string counts as nothing). */
export function requireCriterion(query: MailSearchQuery, vendor: string): void {
  if (!query.messageId && !query.from && !query.subject && !query.mailbox)
    throw new ToolError("BAD_INPUT", `${vendor}: a mail search needs a messageId, from, subject or mailbox`, {
      vendor,
    });
}

export function messageFilter(
  query: Pick<MailSearchQuery, "messageId" | "from" | "subject" | "since" | "until">,
  vendor: string,
): MessageFilter {
  const since = query.since ? instant(query.since, "since", vendor) : null;
  const until = query.until ? instant(query.until, "until", vendor) : null;
  const clauses = [`receivedDateTime ge ${since ? since.toISOString() : EPOCH}`];
  if (until) clauses.push(`receivedDateTime le ${until.toISOString()}`);
  if (query.messageId) clauses.push(`internetMessageId eq ${odataString(query.messageId)}`);
  if (query.from) clauses.push(`from/emailAddress/address eq ${odataString(query.from)}`);
  if (query.subject) clauses.push(`subject eq ${odataString(query.subject)}`);
  const from = query.from?.toLowerCase();
  return {
    filter: clauses.join(" and "),
    orderby: "receivedDateTime asc",
    matches: (m) => {
      const at = Date.parse(m.receivedAt);
      return (
        (!query.messageId || m.internetMessageId === query.messageId) &&
        (!from || m.from.toLowerCase() === from) &&
        (!query.subject || m.subject === query.subject) &&
        (!since || at >= since.getTime()) &&
        (!until || at <= until.getTime())
      );
    },
  };
}
