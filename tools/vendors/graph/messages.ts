/**
 * Mailbox access shared by the mail port and the responder: every request to a mailbox passes that
 * mailbox's gate (Outlook's 4 concurrent requests per app per mailbox) and asks for immutable ids
 * (`Prefer: IdType="ImmutableId"`), so a message keeps its id when it is moved to quarantine and ids a
 * search returned still work afterwards. Folder ids are turned into names once per mailbox and cached.
 */
import { z } from "zod";
import { orNull, type HttpClient, type HttpRequest } from "../../http.ts";
import { isoOf, pathSegment, userPath } from "./client.ts";
import { keyedLimiter } from "./limit.ts";
import type { MessageFilter, SearchedMessage } from "./mail-query.ts";

const PER_MAILBOX_CONCURRENCY = 4;
/** Results per page; Outlook allows up to 1000. */
const PAGE_SIZE = 100;
/** Messages read beyond the limit before giving up on more exact matches (the server filter is loose on case). */
const SCAN_SURPLUS = 1000;
const FOLDER_CACHE_SIZE = 5000;

const graphMessageSchema = z.object({
  id: z.string().min(1),
  internetMessageId: z.string().nullish(),
  subject: z.string().nullish(),
  from: z.object({ emailAddress: z.object({ address: z.string().nullish() }).nullish() }).nullish(),
  receivedDateTime: z.iso.datetime({ offset: true }),
  parentFolderId: z.string().nullish(),
  isRead: z.boolean().nullish(),
});
export type GraphMessage = z.infer<typeof graphMessageSchema>;

const messagePageSchema = z.object({
  value: z.array(graphMessageSchema),
  "@odata.nextLink": z.string().nullish(),
});
const folderSchema = z.object({ id: z.string(), displayName: z.string().nullish() });

export const MESSAGE_FIELDS = "id,internetMessageId,subject,from,receivedDateTime,parentFolderId,isRead";

export interface FoundMessage {
  mailbox: string;
  message: GraphMessage;
  fields: SearchedMessage;
}

export interface MailboxAccess {
  readonly http: HttpClient;
  /** A request to one mailbox, through its gate, asking for immutable ids. */
  request<T>(mailbox: string, request: HttpRequest<T>): Promise<T>;
  /** Messages of a mailbox (or of one of its folders) passing the filter, oldest first, at most `max`. */
  search(
    mailbox: string,
    filter: MessageFilter,
    max: number,
    options?: { folder?: string; signal?: AbortSignal },
  ): Promise<FoundMessage[]>;
  /** The display name of a folder id; "unknown" when the folder is gone. */
  folderName(mailbox: string, folderId: string, signal?: AbortSignal): Promise<string>;
  /** The id and name of a well-known folder (inbox, junkemail, recoverableitemsdeletions…). */
  wellKnownFolder(
    mailbox: string,
    name: string,
    signal?: AbortSignal,
  ): Promise<{ id: string; name: string } | null>;
}

export function fieldsOf(message: GraphMessage): SearchedMessage {
  return {
    internetMessageId: message.internetMessageId ?? "",
    from: message.from?.emailAddress?.address ?? "",
    subject: message.subject ?? "",
    receivedAt: isoOf(message.receivedDateTime),
  };
}

export function createMailboxAccess(http: HttpClient): MailboxAccess {
  const gate = keyedLimiter(PER_MAILBOX_CONCURRENCY);
  const folders = new Map<string, Promise<{ id: string; name: string } | null>>();
  const vendor = http.vendor;

  const request = <T>(mailbox: string, r: HttpRequest<T>) =>
    gate(mailbox, () => http.json({ ...r, headers: { prefer: 'IdType="ImmutableId"', ...r.headers } }));

  /** One folder lookup per mailbox and id (or well-known name); failures other than "gone" are not kept. */
  function folder(mailbox: string, idOrName: string, signal?: AbortSignal) {
    const key = `${mailbox.toLowerCase()}\n${idOrName}`;
    let found = folders.get(key);
    if (!found) {
      if (folders.size >= FOLDER_CACHE_SIZE) folders.clear();
      found = orNull(
        request(mailbox, {
          path: `${userPath(mailbox, vendor)}/mailFolders/${pathSegment(idOrName, "folder", vendor)}`,
          query: { $select: "id,displayName" },
          schema: folderSchema,
          ...(signal ? { signal } : {}),
        }),
      ).then((f) => (f ? { id: f.id, name: f.displayName ?? idOrName } : null));
      folders.set(key, found);
      const mine = found;
      mine.catch(() => {
        if (folders.get(key) === mine) folders.delete(key);
      });
    }
    return found;
  }

  return {
    http,
    request,
    async search(mailbox, filter, max, options = {}) {
      const base = userPath(mailbox, vendor);
      const inFolder = options.folder ? `/mailFolders/${pathSegment(options.folder, "folder", vendor)}` : "";
      const signal = options.signal ? { signal: options.signal } : {};
      const kept: FoundMessage[] = [];
      let next: string | null = null;
      let scanned = 0;
      do {
        const page: z.infer<typeof messagePageSchema> = await request(mailbox, {
          path: next ?? `${base}${inFolder}/messages`,
          ...(next
            ? {}
            : {
                query: {
                  $filter: filter.filter,
                  $orderby: filter.orderby,
                  $select: MESSAGE_FIELDS,
                  $top: Math.min(max, PAGE_SIZE),
                },
              }),
          schema: messagePageSchema,
          ...signal,
        });
        scanned += page.value.length;
        for (const message of page.value) {
          const fields = fieldsOf(message);
          if (filter.matches(fields)) kept.push({ mailbox: mailbox.toLowerCase(), message, fields });
        }
        next = page["@odata.nextLink"] ?? null;
      } while (next && kept.length < max && scanned < max + SCAN_SURPLUS);
      return kept.slice(0, max);
    },
    async folderName(mailbox, folderId, signal) {
      return (await folder(mailbox, folderId, signal))?.name ?? "unknown";
    },
    wellKnownFolder: (mailbox, name, signal) => folder(mailbox, name, signal),
  };
}
