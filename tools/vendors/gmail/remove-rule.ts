/**
 * remove_inbox_rule for Gmail filters: DELETE …/settings/filters/{id}. Filters are settings, which
 * gmail.modify does not cover: the action is offered only when gmail.settings.basic (or full mail access)
 * is delegated. Automatic forwarding ("auto-forwarding" in listInboxRules) would need
 * gmail.settings.sharing and is not turned off here (UNSUPPORTED). The target is the filter id;
 * `params.mailbox` names its mailbox, otherwise each configured mailbox is asked for it. A filter this
 * responder removed reports already_done when asked again; one that never existed is NOT_FOUND.
 */
import { z } from "zod";
import { ToolError } from "../../../core/errors.ts";
import { orNull } from "../../http.ts";
import type { ProposedAction, ResponseOutcome } from "../../../core/domain.ts";
import { userPath, VENDOR, type GmailClients } from "./client.ts";
import { mapLimit } from "./mail.ts";
import { AUTO_FORWARDING_ID } from "./rules.ts";

export const FILTER_SCOPES = [
  "https://www.googleapis.com/auth/gmail.settings.basic",
  "https://mail.google.com/",
] as const;

const PLAUSIBLE_ID = /^[A-Za-z0-9_-]{1,128}$/;
const paramsSchema = z.object({ mailbox: z.string().min(1).optional() });
const filterSchema = z.object({ id: z.string() });

const fail = (code: "NOT_FOUND" | "UNSUPPORTED", message: string) =>
  new ToolError(code, `${VENDOR}: ${message}`, { vendor: VENDOR });

export function createRuleRemover(clients: GmailClients, mailboxes: readonly string[]) {
  /** Filters removed by this responder, by id, with their mailbox. */
  const removed = new Map<string, string>();
  const filterPath = (mailbox: string, id: string) =>
    `${userPath(mailbox)}/settings/filters/${encodeURIComponent(id)}`;

  return async function removeRule(action: ProposedAction, signal?: AbortSignal): Promise<ResponseOutcome> {
    const id = action.target;
    const call = signal ? { signal } : {};
    if (id === AUTO_FORWARDING_ID)
      throw fail(
        "UNSUPPORTED",
        "turning off automatic forwarding needs gmail.settings.sharing; do it in the Admin console",
      );
    const named = paramsSchema.catch({}).parse(action.params).mailbox?.toLowerCase();
    const done = removed.get(id);
    if (done && (!named || named === done))
      return { outcome: "already_done", detail: `Gmail filter ${id} was already removed from ${done}` };
    if (!PLAUSIBLE_ID.test(id)) throw fail("NOT_FOUND", `no Gmail filter ${id}`);
    const candidates = named ? [named] : mailboxes.map((m) => m.toLowerCase());
    const holders = await mapLimit(candidates, 4, async (m) =>
      (await orNull(clients.forMailbox(m).json({ path: filterPath(m, id), schema: filterSchema, ...call })))
        ? m
        : null,
    );
    const holder = holders.find((m): m is string => m !== null);
    if (!holder)
      throw fail(
        "NOT_FOUND",
        `no Gmail filter ${id} in ${named ?? `the ${mailboxes.length} configured mailboxes`}`,
      );
    // Gmail answers 204 with no body; a 404 here means it went between our read and the delete.
    await orNull(
      clients
        .forMailbox(holder)
        .json({ method: "DELETE", path: filterPath(holder, id), schema: z.unknown(), ...call }),
    );
    removed.set(id, holder);
    return { outcome: "executed", detail: `removed Gmail filter ${id} from ${holder}` };
  };
}
