/**
 * Which mailboxes a search covers. Graph has no tenant-wide message search, so the adapter searches a
 * list: the configured mailboxes, the members of a group, or every user with a mailbox address. The last
 * two are read with GET /users (or the group's transitive members), paged up to `maxMailboxes`, and kept
 * for `mailboxListTtlMinutes`: one directory read per TTL, then one request (or more, when paging) per
 * mailbox per search.
 */
import { z } from "zod";
import type { HttpClient } from "../../http.ts";
import { collectPages } from "../microsoft/common.ts";
import { pathSegment } from "./client.ts";

export interface MailboxScope {
  mailboxes: readonly string[];
  mailboxGroupId?: string | undefined;
  allMailboxes: boolean;
  maxMailboxes: number;
  mailboxListTtlMinutes: number;
}

export interface MailboxDirectory {
  list(signal?: AbortSignal): Promise<string[]>;
}

const directoryUserSchema = z.object({ mail: z.string().nullish() });

export function createMailboxDirectory(
  http: HttpClient,
  scope: MailboxScope,
  now: () => Date,
): MailboxDirectory {
  const configured = [...new Set(scope.mailboxes.map((m) => m.toLowerCase()))];
  let cached: { at: number; mailboxes: Promise<string[]> } | null = null;

  async function discover(signal?: AbortSignal): Promise<string[]> {
    const path = scope.mailboxGroupId
      ? `/groups/${pathSegment(scope.mailboxGroupId, "group id", http.vendor)}/transitiveMembers/microsoft.graph.user`
      : "/users";
    const users = await collectPages(
      http,
      { path, query: { $select: "mail,userPrincipalName", $top: Math.min(999, scope.maxMailboxes) } },
      directoryUserSchema,
      { max: scope.maxMailboxes, ...(signal ? { signal } : {}) },
    );
    // Users without a mail address have no mailbox to search.
    return [...new Set(users.flatMap((u) => (u.mail ? [u.mail.toLowerCase()] : [])))];
  }

  return {
    async list(signal) {
      if (!scope.mailboxGroupId && !scope.allMailboxes) return configured;
      const at = now().getTime();
      if (!cached || at - cached.at > scope.mailboxListTtlMinutes * 60_000) {
        const mailboxes = discover(signal);
        cached = { at, mailboxes };
        // A failed read is not cached: the next search tries again.
        mailboxes.catch(() => {
          if (cached?.mailboxes === mailboxes) cached = null;
        });
      }
      return cached.mailboxes;
    },
  };
}
