/**
 * Gmail as the MailSearch port over the configured mailboxes. A search lists ids with GET …/messages?q=
 * (newest first, nextPageToken paging, spam and trash included so every copy is seen), reads each one's
 * headers with format=metadata, and keeps the exact matches. Gmail lists newest first, so past `limit`
 * matches in a mailbox the newest are kept; at most `maxScan` ids are read per mailbox.
 */
import { z } from "zod";
import { ToolError } from "../../../core/errors.ts";
import { orNull } from "../../http.ts";
import type { CallOptions, MailSearch } from "../../../core/ports.ts";
import type { MailboxMessage, MailSearchQuery } from "../../../core/domain.ts";
import { userPath, VENDOR, type GmailClients } from "./client.ts";
import { folderOf, isUserLabel, type Labels } from "./labels.ts";
import { gmailSearch, matches } from "./query.ts";
import { listGmailRules } from "./rules.ts";

const listSchema = z.object({
  messages: z.array(z.object({ id: z.string() })).nullish(),
  nextPageToken: z.string().nullish(),
});
const metadataSchema = z.object({
  id: z.string(),
  labelIds: z.array(z.string()).nullish(),
  // Epoch milliseconds, as a string.
  internalDate: z.union([z.string().regex(/^\d+$/), z.number()]),
  payload: z
    .object({ headers: z.array(z.object({ name: z.string(), value: z.string() })).nullish() })
    .nullish(),
});
const rawSchema = z.object({ raw: z.string() });

const MAX_PAGE = 500;
const CONCURRENCY = 8;
/** Gmail message ids are hexadecimal; anything outside this cannot name a message. */
const PLAUSIBLE_ID = /^[A-Za-z0-9_-]{1,128}$/;

export interface Found {
  message: MailboxMessage;
  labelIds: string[];
}

export interface GmailMail extends MailSearch {
  /** Every copy with its labels, for the responder. */
  search(query: MailSearchQuery, call?: CallOptions): Promise<Found[]>;
}

/** Runs `work` over `items`, `limit` at a time, keeping their order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += limit)
    out.push(...(await Promise.all(items.slice(i, i + limit).map(work))));
  return out;
}

/** The address in a From header: `"AP" <ap@evil.test>` → ap@evil.test. */
export function addressOf(from: string): string {
  return (/<([^<>]*)>\s*$/.exec(from)?.[1] ?? from).trim();
}

export function createGmailMail(
  clients: GmailClients,
  labels: Labels,
  options: { mailboxes: readonly string[]; maxScan: number; quarantineLabel: string | null },
): GmailMail {
  const configured = new Map(options.mailboxes.map((m) => [m.toLowerCase(), m]));
  const mailboxOf = (value: string) => configured.get(value.toLowerCase()) ?? value.toLowerCase();
  const signalOf = (call?: CallOptions) => (call?.signal ? { signal: call.signal } : {});

  async function toFound(
    mailbox: string,
    meta: z.infer<typeof metadataSchema>,
    call?: CallOptions,
  ): Promise<Found> {
    const labelIds = meta.labelIds ?? [];
    const header = (name: string) =>
      meta.payload?.headers?.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value ?? "";
    // Only in label mode, and only for a message with a user label, is the quarantine label's id needed.
    const quarantineId =
      options.quarantineLabel && labelIds.some(isUserLabel)
        ? await labels.quarantineId(mailbox, false, call)
        : null;
    return {
      labelIds,
      message: {
        id: meta.id,
        mailbox,
        messageId: header("Message-ID").trim(),
        from: addressOf(header("From")),
        subject: header("Subject"),
        receivedAt: new Date(Number(meta.internalDate)).toISOString(),
        folder: folderOf(labelIds, { id: quarantineId, name: options.quarantineLabel ?? "" }),
        isRead: !labelIds.includes("UNREAD"),
      },
    };
  }

  async function searchMailbox(mailbox: string, query: MailSearchQuery, q: string, call?: CallOptions) {
    const http = clients.forMailbox(mailbox);
    const found: Found[] = [];
    let pageToken: string | undefined;
    let scanned = 0;
    do {
      const page = await http.json({
        path: `${userPath(mailbox)}/messages`,
        query: {
          q: q || undefined,
          maxResults: Math.min(MAX_PAGE, Math.max(query.limit, 100), options.maxScan - scanned),
          pageToken,
          includeSpamTrash: true,
        },
        schema: listSchema,
        ...signalOf(call),
      });
      const ids = (page.messages ?? []).map((m) => m.id);
      scanned += ids.length;
      const metas = await mapLimit(ids, CONCURRENCY, (id) =>
        // A message deleted since it was listed is simply gone.
        orNull(
          http.json({
            path: `${userPath(mailbox)}/messages/${encodeURIComponent(id)}`,
            query: { format: "metadata", metadataHeaders: ["From", "Subject", "Message-ID"] },
            schema: metadataSchema,
            ...signalOf(call),
          }),
        ),
      );
      for (const meta of metas) {
        if (!meta) continue;
        const one = await toFound(mailbox, meta, call);
        if (matches(one.message, query)) found.push(one);
      }
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken && found.length < query.limit && scanned < options.maxScan);
    return found.slice(0, query.limit);
  }

  async function search(query: MailSearchQuery, call?: CallOptions): Promise<Found[]> {
    // Empty strings count as absent: `from: ""` must not turn into "every message in every mailbox".
    if (!query.messageId && !query.from && !query.subject && !query.mailbox)
      throw new ToolError(
        "BAD_INPUT",
        `${VENDOR}: mail search needs at least one of messageId, from, subject, mailbox`,
        {
          vendor: VENDOR,
        },
      );
    const q = gmailSearch(query);
    const mailboxes = query.mailbox ? [mailboxOf(query.mailbox)] : [...configured.values()];
    const perMailbox = await mapLimit(mailboxes, 4, (m) => searchMailbox(m, query, q, call));
    const at = (f: Found) => Date.parse(f.message.receivedAt);
    return perMailbox
      .flat()
      .sort(
        (a, b) =>
          at(a) - at(b) ||
          a.message.mailbox.localeCompare(b.message.mailbox) ||
          a.message.id.localeCompare(b.message.id),
      )
      .slice(0, query.limit);
  }

  return {
    vendor: VENDOR,
    search,
    findMessages: async (query, call) => (await search(query, call)).map((f) => f.message),
    async getRawMessage(mailbox, id, call) {
      if (!PLAUSIBLE_ID.test(id)) return null;
      const mailboxId = mailboxOf(mailbox);
      const message = await orNull(
        clients.forMailbox(mailboxId).json({
          path: `${userPath(mailboxId)}/messages/${encodeURIComponent(id)}`,
          query: { format: "raw" },
          schema: rawSchema,
          ...signalOf(call),
        }),
      );
      // The source is base64url (RFC 4648 §5), not plain base64.
      return message ? Buffer.from(message.raw, "base64url").toString("utf8") : null;
    },
    listInboxRules: (mailbox, call) => listGmailRules(clients, labels, mailboxOf(mailbox), call),
  };
}
