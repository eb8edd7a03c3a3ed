/**
 * Gmail response actions over the configured mailboxes: quarantine_message, and remove_inbox_rule when
 * filter settings are delegated (remove-rule.ts). Every copy of the
 * Message-ID is moved either to Trash (POST …/messages/{id}/trash: out of the user's views and searches,
 * recoverable for 30 days, then purged by Gmail) or, in label mode, under a "Quarantine" label and out of
 * the inbox (POST …/messages/{id}/modify: kept indefinitely, but still visible under All Mail and in
 * searches). Copies already in Trash, or already quarantined, count as done.
 */
import { z } from "zod";
import { ToolError } from "../../../core/errors.ts";
import type { ActionType } from "../../../core/domain.ts";
import type { ResponseActions } from "../../../core/ports.ts";
import { oncePerKey } from "../once-per-key.ts";
import { userPath, VENDOR, type GmailClients } from "./client.ts";
import type { Labels } from "./labels.ts";
import type { Found, GmailMail } from "./mail.ts";
import { createRuleRemover } from "./remove-rule.ts";

export interface GmailActionsOptions {
  mode: "trash" | "label";
  label: string;
  mailboxes: readonly string[];
  /** Filter settings are delegated (gmail.settings.basic), so filters can be removed. */
  canEditFilters: boolean;
}
const MAX_COPIES = 1000;
const messageSchema = z.object({ id: z.string(), labelIds: z.array(z.string()).nullish() });

export function createGmailActions(
  mail: GmailMail,
  clients: GmailClients,
  labels: Labels,
  options: GmailActionsOptions,
): ResponseActions {
  const once = oncePerKey();
  const removeRule = createRuleRemover(clients, options.mailboxes);
  const supported: ReadonlySet<ActionType> = new Set<ActionType>([
    "quarantine_message",
    ...(options.canEditFilters ? (["remove_inbox_rule"] as const) : []),
  ]);
  const where = options.mode === "trash" ? "Trash" : options.label;
  const done = (f: Found) => f.labelIds.includes("TRASH") || f.message.folder === options.label;

  async function move(copy: Found, signal?: AbortSignal): Promise<void> {
    const { mailbox, id } = copy.message;
    const path = `${userPath(mailbox)}/messages/${encodeURIComponent(id)}`;
    const call = signal ? { signal } : {};
    if (options.mode === "trash") {
      await clients
        .forMailbox(mailbox)
        .json({ method: "POST", path: `${path}/trash`, schema: messageSchema, ...call });
      return;
    }
    const labelId = await labels.quarantineId(mailbox, true, call);
    await clients.forMailbox(mailbox).json({
      method: "POST",
      path: `${path}/modify`,
      json: { addLabelIds: [labelId], removeLabelIds: ["INBOX"] },
      schema: messageSchema,
      ...call,
    });
  }

  return {
    vendor: VENDOR,
    supports: (type) => supported.has(type),
    async execute(action, context) {
      if (!supported.has(action.type))
        throw new ToolError("UNSUPPORTED", `${VENDOR}: ${action.type} is not a Gmail response action here`, {
          vendor: VENDOR,
        });
      const { signal } = context;
      if (action.type === "remove_inbox_rule")
        return once(context.idempotencyKey, () => removeRule(action, signal));
      return once(context.idempotencyKey, async () => {
        const copies = await mail.search(
          { messageId: action.target, limit: MAX_COPIES },
          signal ? { signal } : {},
        );
        if (copies.length === 0)
          throw new ToolError(
            "NOT_FOUND",
            `${VENDOR}: no copy of ${action.target} in the ${options.mailboxes.length} configured mailboxes`,
            { vendor: VENDOR },
          );
        const pending = copies.filter((c) => !done(c));
        const count = (n: number) => `${n} ${n === 1 ? "copy" : "copies"}`;
        if (pending.length === 0)
          return {
            outcome: "already_done",
            detail: `${count(copies.length)} of ${action.target} already in ${where}`,
          };
        for (const copy of pending) await move(copy, signal);
        const before = copies.length - pending.length;
        return {
          outcome: "executed",
          detail: `moved ${count(pending.length)} of ${action.target} to ${where}${before ? ` (${before} already there)` : ""}`,
        };
      });
    },
  };
}
