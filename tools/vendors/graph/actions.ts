/**
 * Graph mail response actions.
 *
 * quarantine_message (target: the RFC 5322 Message-ID): every copy in the searched mailboxes is moved to
 * the configured well-known folder. The default, `recoverableitemsdeletions`, is a soft delete: the copy
 * leaves every folder the user sees (nothing left to click), and the user or an admin can still restore it
 * (Recover Deleted Items) until retention purges it — what Defender's "soft delete" remediation does, and
 * what a SOC means by pulling a message when the tenant quarantine is out of reach. Graph can only move
 * mailbox items; the Exchange Online quarantine is not reachable through it. Copies already in that folder
 * are left alone; when every copy is there, the answer is already_done. Soft-deleted items do not show in a
 * mailbox-wide message list, so the folder itself is searched before answering NOT_FOUND.
 *
 * remove_inbox_rule (target: the rule id; `params.mailbox` names its mailbox, otherwise the rules of every
 * searched mailbox are read to find it): DELETE of the rule. A rule this responder removed reports
 * already_done when asked again; one that never existed is NOT_FOUND. Read-only rules (Graph cannot delete
 * them) are UNSUPPORTED.
 */
import { z } from "zod";
import { ToolError } from "../../../core/errors.ts";
import { orNull } from "../../http.ts";
import type { ActionType, ProposedAction, ResponseOutcome } from "../../../core/domain.ts";
import type { ResponseActions } from "../../../core/ports.ts";
import { oncePerKey } from "../once-per-key.ts";
import { pathSegment, userPath } from "./client.ts";
import { mapLimit } from "./limit.ts";
import { createGraphMail, graphRules } from "./mail.ts";
import type { MailboxDirectory } from "./mailboxes.ts";
import type { MailboxAccess } from "./messages.ts";

/** Copies of one message looked at per mailbox; more would be a mail loop, not a phish. */
const MAX_COPIES = 1000;

export const quarantineFolders = ["recoverableitemsdeletions", "deleteditems", "junkemail"] as const;
export type QuarantineFolder = (typeof quarantineFolders)[number];

const FOLDER_WORDS: Record<QuarantineFolder, string> = {
  recoverableitemsdeletions: "Recoverable Items (soft-deleted, restorable)",
  deleteditems: "Deleted Items",
  junkemail: "Junk Email",
};

const paramsSchema = z.object({ mailbox: z.string().min(1).optional() });

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function createGraphActions(deps: {
  access: MailboxAccess;
  mail: ReturnType<typeof createGraphMail>;
  directory: MailboxDirectory;
  concurrency: number;
  quarantineFolder: QuarantineFolder;
}): ResponseActions {
  const { access, mail, directory, concurrency, quarantineFolder: folder } = deps;
  const vendor = access.http.vendor;
  const once = oncePerKey();
  const removedRules = new Set<string>();
  const fail = (code: ToolError["code"], message: string) =>
    new ToolError(code, `${vendor}: ${message}`, { vendor });

  async function quarantine(messageId: string, signal?: AbortSignal): Promise<ResponseOutcome> {
    const options = signal ? { signal } : {};
    const copies = await mail.findCopies({ messageId, limit: MAX_COPIES }, options);
    if (copies.length === 0) {
      const held = await mail.findCopies({ messageId, limit: MAX_COPIES }, { ...options, folder });
      if (held.length === 0) throw fail("NOT_FOUND", `no copy of ${messageId} in the searched mailboxes`);
      return {
        outcome: "already_done",
        detail: `every copy of ${messageId} (${held.length}) is already in ${FOLDER_WORDS[folder]}`,
      };
    }
    const placed = await mapLimit(copies, concurrency, async (copy) => {
      const target = await access.wellKnownFolder(copy.mailbox, folder, signal);
      return { copy, done: target !== null && copy.message.parentFolderId === target.id };
    });
    const pending = placed.filter((p) => !p.done).map((p) => p.copy);
    if (pending.length === 0)
      return {
        outcome: "already_done",
        detail: `every copy of ${messageId} (${copies.length}) is already in ${FOLDER_WORDS[folder]}`,
      };
    await mapLimit(pending, concurrency, (copy) =>
      // With immutable ids a repeated move finds the copy where the first one put it; a copy deleted in the
      // meantime (404) has nothing left to pull.
      orNull(
        access.request(copy.mailbox, {
          method: "POST",
          path: `${userPath(copy.mailbox, vendor)}/messages/${pathSegment(copy.message.id, "message id", vendor)}/move`,
          json: { destinationId: folder },
          schema: z.object({ id: z.string() }),
          ...options,
        }),
      ),
    );
    const mailboxes = new Set(pending.map((c) => c.mailbox)).size;
    const already = copies.length - pending.length;
    return {
      outcome: "executed",
      detail:
        `moved ${plural(pending.length, "copy", "copies")} of ${messageId} in ${plural(mailboxes, "mailbox", "mailboxes")} ` +
        `to ${FOLDER_WORDS[folder]}${already ? ` (${already} already there)` : ""}`,
    };
  }

  async function removeRule(action: ProposedAction, signal?: AbortSignal): Promise<ResponseOutcome> {
    const ruleId = action.target;
    const params = paramsSchema.safeParse(action.params);
    if (!params.success) throw fail("BAD_INPUT", "params.mailbox must be a mailbox address");
    const named = params.data.mailbox;
    const mailboxes = named ? [named.toLowerCase()] : await directory.list(signal);
    const holders = (
      await mapLimit(mailboxes, concurrency, async (mailbox) =>
        (await graphRules(access, mailbox, signal))
          .filter((rule) => rule.id === ruleId)
          .map((rule) => ({ mailbox, rule })),
      )
    ).flat();
    const where = named ?? "the searched mailboxes";
    if (holders.length === 0) {
      if (removedRules.has(ruleId))
        return { outcome: "already_done", detail: `inbox rule ${ruleId} was already removed` };
      throw fail("NOT_FOUND", `no inbox rule ${ruleId} in ${where}`);
    }
    if (holders.some((h) => h.rule.isReadOnly))
      throw fail("UNSUPPORTED", `inbox rule ${ruleId} is read-only to Graph; remove it in Exchange admin`);
    for (const { mailbox } of holders) {
      // 404 here: it went between the read and the delete, which is what we wanted.
      await orNull(
        access.request(mailbox, {
          method: "DELETE",
          path: `${userPath(mailbox, vendor)}/mailFolders/inbox/messageRules/${pathSegment(ruleId, "rule id", vendor)}`,
          schema: z.unknown(),
          ...(signal ? { signal } : {}),
        }),
      );
    }
    removedRules.add(ruleId);
    const names = holders.map((h) => `"${h.rule.displayName ?? ruleId}" from ${h.mailbox}`).join(", ");
    return { outcome: "executed", detail: `removed inbox rule ${names}` };
  }

  const handlers: Partial<
    Record<ActionType, (action: ProposedAction, signal?: AbortSignal) => Promise<ResponseOutcome>>
  > = {
    quarantine_message: (action, signal) => quarantine(action.target, signal),
    remove_inbox_rule: removeRule,
  };

  return {
    vendor,
    supports: (type) => handlers[type] !== undefined,
    async execute(action, context) {
      const handler = handlers[action.type];
      if (!handler) throw fail("UNSUPPORTED", `${action.type} is not something Graph mail can do`);
      return once(context.idempotencyKey, () => handler(action, context.signal));
    },
  };
}
