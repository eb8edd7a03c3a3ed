/**
 * Gmail labels: system labels are folders (INBOX, TRASH, SPAM…); user labels have per-mailbox ids
 * (Label_12) whose names need a lookup. The quarantine label is looked up once per mailbox and created on
 * first use by the responder.
 */
import { z } from "zod";
import type { CallOptions } from "../../../core/ports.ts";
import { userPath, type GmailClients } from "./client.ts";

const labelSchema = z.object({ id: z.string(), name: z.string(), type: z.string().nullish() });
const labelListSchema = z.object({ labels: z.array(labelSchema).nullish() });

const SYSTEM_FOLDERS: ReadonlyArray<[string, string]> = [
  ["TRASH", "Trash"],
  ["SPAM", "Spam"],
  ["INBOX", "Inbox"],
  ["SENT", "Sent"],
  ["DRAFT", "Drafts"],
];

/** Where a message sits: Trash and Spam first (they hide it), then the quarantine label, then the rest. */
export function folderOf(
  labelIds: readonly string[],
  quarantine: { id: string | null; name: string },
): string {
  for (const [id, folder] of SYSTEM_FOLDERS.slice(0, 2)) if (labelIds.includes(id)) return folder;
  if (quarantine.id && labelIds.includes(quarantine.id)) return quarantine.name;
  for (const [id, folder] of SYSTEM_FOLDERS.slice(2)) if (labelIds.includes(id)) return folder;
  return "Archive";
}

export const isUserLabel = (id: string) => id.startsWith("Label_");

export interface Labels {
  all(mailbox: string, call?: CallOptions): Promise<Array<z.infer<typeof labelSchema>>>;
  /** The quarantine label's id in the mailbox, or null; created first when `create` is set. */
  quarantineId(mailbox: string, create: boolean, call?: CallOptions): Promise<string | null>;
}

export function createLabels(clients: GmailClients, quarantineName: string): Labels {
  // null: looked up and absent. Reads trust it; creating looks again first, in case someone made the label.
  const known = new Map<string, string | null>();
  const creating = new Map<string, Promise<string>>();
  const all: Labels["all"] = async (mailbox, call) =>
    (
      await clients.forMailbox(mailbox).json({
        path: `${userPath(mailbox)}/labels`,
        schema: labelListSchema,
        ...(call?.signal ? { signal: call.signal } : {}),
      })
    ).labels ?? [];
  const find = async (mailbox: string, call?: CallOptions) =>
    (await all(mailbox, call)).find((l) => l.name.toLowerCase() === quarantineName.toLowerCase())?.id ?? null;
  return {
    all,
    async quarantineId(mailbox, create, call) {
      const key = mailbox.toLowerCase();
      const cached = known.get(key);
      if (cached || (cached === null && !create)) return cached;
      const found = await find(mailbox, call);
      known.set(key, found);
      if (found || !create) return found;
      // Copies in one mailbox are moved one after another, but racing calls must not create it twice.
      let pending = creating.get(key);
      if (!pending) {
        pending = clients
          .forMailbox(mailbox)
          .json({
            method: "POST",
            path: `${userPath(mailbox)}/labels`,
            json: { name: quarantineName, labelListVisibility: "labelShow", messageListVisibility: "show" },
            schema: labelSchema,
            ...(call?.signal ? { signal: call.signal } : {}),
          })
          .then((label) => label.id)
          .finally(() => creating.delete(key));
        creating.set(key, pending);
      }
      const id = await pending;
      known.set(key, id);
      return id;
    },
  };
}
