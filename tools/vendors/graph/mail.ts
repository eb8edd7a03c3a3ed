/**
 * MailSearch over Microsoft Graph: every copy of a message across the searched mailboxes (one filtered
 * query per mailbox, a bounded number of mailboxes at a time), the MIME source of a copy, and a mailbox's
 * inbox rules.
 *
 * Not-found shapes: an unknown mailbox or message answers 404 (ErrorInvalidUser, ErrorItemNotFound,
 * MailboxNotEnabledForRESTAPI); an id from another mailbox or a malformed id answers 400
 * (ErrorInvalidMailboxItemId, ErrorInvalidIdMalformed). For the raw source both mean "no such copy here":
 * null. Rules: Graph's messageRule has no creation time, so `createdAt` is always null.
 */
import { z } from "zod";
import { isToolError } from "../../../core/errors.ts";
import { orNull } from "../../http.ts";
import type { CallOptions, MailSearch } from "../../../core/ports.ts";
import type { InboxRule, MailboxMessage, MailSearchQuery } from "../../../core/domain.ts";
import { pathSegment, userPath } from "./client.ts";
import { mapLimit } from "./limit.ts";
import { messageFilter, requireCriterion } from "./mail-query.ts";
import type { MailboxDirectory } from "./mailboxes.ts";
import type { FoundMessage, MailboxAccess } from "./messages.ts";

const MAX_RULES = 500;

const recipientSchema = z.object({ emailAddress: z.object({ address: z.string().nullish() }).nullish() });
const ruleSchema = z.object({
  id: z.string(),
  displayName: z.string().nullish(),
  isEnabled: z.boolean().nullish(),
  isReadOnly: z.boolean().nullish(),
  conditions: z.record(z.string(), z.unknown()).nullish(),
  exceptions: z.record(z.string(), z.unknown()).nullish(),
  actions: z
    .object({
      forwardTo: z.array(recipientSchema).nullish(),
      redirectTo: z.array(recipientSchema).nullish(),
      forwardAsAttachmentTo: z.array(recipientSchema).nullish(),
      moveToFolder: z.string().nullish(),
      delete: z.boolean().nullish(),
      permanentDelete: z.boolean().nullish(),
    })
    .nullish(),
});
export type GraphRule = z.infer<typeof ruleSchema>;

/** Conditions without Graph's empty placeholders (null, [], {}), so a model reads only what is set. */
function setFields(record: Record<string, unknown> | null | undefined): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record ?? {}).filter(
      ([, v]) =>
        v !== null &&
        v !== undefined &&
        !(Array.isArray(v) && v.length === 0) &&
        !(typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0),
    ),
  );
}

const rulePageSchema = z.object({ value: z.array(ruleSchema), "@odata.nextLink": z.string().nullish() });

/** All the rules of a mailbox's inbox, as Graph answers them; [] when the mailbox does not exist. */
export async function graphRules(
  access: MailboxAccess,
  mailbox: string,
  signal?: AbortSignal,
): Promise<GraphRule[]> {
  const rules: GraphRule[] = [];
  let path: string | null = `${userPath(mailbox, access.http.vendor)}/mailFolders/inbox/messageRules`;
  while (path && rules.length < MAX_RULES) {
    const page: z.infer<typeof rulePageSchema> | null = await orNull(
      access.request(mailbox, { path, schema: rulePageSchema, ...(signal ? { signal } : {}) }),
    );
    if (!page) break;
    rules.push(...page.value);
    path = page["@odata.nextLink"] ?? null;
  }
  return rules.slice(0, MAX_RULES);
}

export function createGraphMail(deps: {
  access: MailboxAccess;
  directory: MailboxDirectory;
  concurrency: number;
}): MailSearch & { findCopies: typeof findCopies } {
  const { access, directory, concurrency } = deps;
  const vendor = access.http.vendor;

  /** Matching messages in every searched mailbox (or the one named), oldest first, at most `limit`. */
  async function findCopies(
    query: MailSearchQuery,
    options: { folder?: string; signal?: AbortSignal } = {},
  ): Promise<FoundMessage[]> {
    requireCriterion(query, vendor);
    const filter = messageFilter(query, vendor);
    const mailboxes = query.mailbox ? [query.mailbox.toLowerCase()] : await directory.list(options.signal);
    const perMailbox = await mapLimit(mailboxes, concurrency, async (mailbox) => {
      try {
        return await access.search(mailbox, filter, query.limit, options);
      } catch (error) {
        // A user without a mailbox, or a mailbox that is gone, holds no copies.
        if (isToolError(error) && error.code === "NOT_FOUND") return [];
        throw error;
      }
    });
    return perMailbox
      .flat()
      .sort(
        (a, b) =>
          a.fields.receivedAt.localeCompare(b.fields.receivedAt) ||
          a.mailbox.localeCompare(b.mailbox) ||
          a.message.id.localeCompare(b.message.id),
      )
      .slice(0, query.limit);
  }

  async function toMailboxMessage(found: FoundMessage, signal?: AbortSignal): Promise<MailboxMessage> {
    const { message, fields } = found;
    return {
      id: message.id,
      mailbox: found.mailbox,
      messageId: fields.internetMessageId,
      from: fields.from,
      subject: fields.subject,
      receivedAt: fields.receivedAt,
      folder: message.parentFolderId
        ? await access.folderName(found.mailbox, message.parentFolderId, signal)
        : "unknown",
      isRead: message.isRead ?? false,
    };
  }

  async function toInboxRule(mailbox: string, rule: GraphRule, signal?: AbortSignal): Promise<InboxRule> {
    const actions = rule.actions;
    const recipients = [
      ...(actions?.forwardTo ?? []),
      ...(actions?.redirectTo ?? []),
      ...(actions?.forwardAsAttachmentTo ?? []),
    ].flatMap((r) => (r.emailAddress?.address ? [r.emailAddress.address] : []));
    const exceptions = setFields(rule.exceptions);
    return {
      id: rule.id,
      mailbox: mailbox.toLowerCase(),
      name: rule.displayName ?? "",
      enabled: rule.isEnabled ?? false,
      forwardTo: [...new Set(recipients)],
      moveToFolder: actions?.moveToFolder
        ? await access.folderName(mailbox, actions.moveToFolder, signal)
        : null,
      deleteMessage: Boolean(actions?.delete || actions?.permanentDelete),
      conditions: {
        ...setFields(rule.conditions),
        ...(Object.keys(exceptions).length ? { exceptions } : {}),
      },
      createdAt: null,
    };
  }

  return {
    vendor,
    findCopies,
    async findMessages(query, options: CallOptions = {}) {
      const found = await findCopies(query, options.signal ? { signal: options.signal } : {});
      return mapLimit(found, concurrency, (f) => toMailboxMessage(f, options.signal));
    },
    async getRawMessage(mailbox, id, options: CallOptions = {}) {
      try {
        return await access.request(mailbox, {
          path: `${userPath(mailbox, vendor)}/messages/${pathSegment(id, "message id", vendor)}/$value`,
          headers: { accept: "*/*" },
          as: "text",
          schema: z.string(),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (error) {
        // 404: gone; 400: an id of another mailbox, or not an id at all. Either way this mailbox has no such copy.
        if (isToolError(error) && (error.code === "NOT_FOUND" || error.code === "BAD_INPUT")) return null;
        throw error;
      }
    },
    async listInboxRules(mailbox, options: CallOptions = {}) {
      const rules = await graphRules(access, mailbox, options.signal);
      return Promise.all(rules.map((r) => toInboxRule(mailbox, r, options.signal)));
    },
  };
}
