/**
 * Gmail filters (GET …/settings/filters) and automatic forwarding (GET …/settings/autoForwarding) as inbox
 * rules. Gmail filters have no name, no on/off switch and no creation time: the name describes the
 * criteria, `enabled` is true (a filter that exists applies) and `createdAt` is null. Automatic forwarding
 * is a rule with no conditions, listed last under the id "auto-forwarding".
 */
import { z } from "zod";
import type { CallOptions } from "../../../core/ports.ts";
import type { InboxRule } from "../../../core/domain.ts";
import { userPath, type GmailClients } from "./client.ts";
import { isUserLabel, type Labels } from "./labels.ts";

const filtersSchema = z.object({
  filter: z
    .array(
      z.object({
        id: z.string(),
        criteria: z.record(z.string(), z.unknown()).nullish(),
        action: z
          .object({
            addLabelIds: z.array(z.string()).nullish(),
            removeLabelIds: z.array(z.string()).nullish(),
            forward: z.string().nullish(),
          })
          .nullish(),
      }),
    )
    .nullish(),
});
const autoForwardingSchema = z.object({
  enabled: z.boolean().nullish(),
  emailAddress: z.string().nullish(),
  disposition: z.string().nullish(),
});

export const AUTO_FORWARDING_ID = "auto-forwarding";

/** `from:x subject:"y"` from a filter's criteria; "every message" when there are none. */
function describe(criteria: Record<string, unknown>): string {
  const parts = Object.entries(criteria)
    .filter(([, v]) => v !== undefined && v !== null && v !== "" && v !== false)
    .map(([k, v]) => (typeof v === "string" && /\s/.test(v) ? `${k}:"${v}"` : `${k}:${String(v)}`));
  return (parts.join(" ") || "every message").slice(0, 200);
}

export async function listGmailRules(
  clients: GmailClients,
  labels: Labels,
  mailbox: string,
  call?: CallOptions,
): Promise<InboxRule[]> {
  const http = clients.forMailbox(mailbox);
  const signal = call?.signal ? { signal: call.signal } : {};
  const [filters, forwarding] = await Promise.all([
    http.json({ path: `${userPath(mailbox)}/settings/filters`, schema: filtersSchema, ...signal }),
    http.json({
      path: `${userPath(mailbox)}/settings/autoForwarding`,
      schema: autoForwardingSchema,
      ...signal,
    }),
  ]);
  const list = filters.filter ?? [];
  // Label names only when a filter files mail under a user label.
  const needsNames = list.some((f) => (f.action?.addLabelIds ?? []).some(isUserLabel));
  const names = new Map(needsNames ? (await labels.all(mailbox, call)).map((l) => [l.id, l.name]) : []);
  const rules: InboxRule[] = list.map((f) => {
    const add = f.action?.addLabelIds ?? [];
    const remove = f.action?.removeLabelIds ?? [];
    const userLabel = add.find(isUserLabel);
    const deleteMessage = add.includes("TRASH");
    const moveToFolder = deleteMessage
      ? null
      : add.includes("SPAM")
        ? "Spam"
        : remove.includes("INBOX")
          ? userLabel
            ? (names.get(userLabel) ?? userLabel)
            : "Archive"
          : null;
    const conditions = f.criteria ?? {};
    return {
      id: f.id,
      mailbox,
      name: `Gmail filter: ${describe(conditions)}`,
      enabled: true,
      forwardTo: f.action?.forward ? [f.action.forward] : [],
      moveToFolder,
      deleteMessage,
      conditions,
      createdAt: null,
    };
  });
  if (forwarding.enabled && forwarding.emailAddress)
    rules.push({
      id: AUTO_FORWARDING_ID,
      mailbox,
      name: `Automatic forwarding to ${forwarding.emailAddress}`,
      enabled: true,
      forwardTo: [forwarding.emailAddress],
      moveToFolder: forwarding.disposition === "archive" ? "Archive" : null,
      deleteMessage: forwarding.disposition === "trash",
      conditions: {},
      createdAt: null,
    });
  return rules;
}
