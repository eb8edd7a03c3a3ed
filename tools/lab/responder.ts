/**
 * The lab's response actions. Each call first claims its idempotency key in action_log, then applies the
 * effect, all in one IMMEDIATE transaction: the write lock is taken up front, so of two processes racing
 * on one key exactly one inserts the row and acts, and the other sees the row and reports already_done.
 * A failed effect rolls the claim back with it, so a retry can still run.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type Database from "better-sqlite3";
import { z } from "zod";
import { ToolError } from "../../core/errors.ts";
import {
  directoryUserSchema,
  hostSchema,
  mailboxMessageSchema,
  type ActionType,
  type ProposedAction,
  type ResponseOutcome,
} from "../../core/domain.ts";
import { type ResponseActions } from "../../core/ports.ts";
import { checkAborted, LAB_VENDOR, parseJsonDoc } from "./docs.ts";

const idDocRow = z.object({ id: z.string(), doc: z.string() });
const userDocRow = z.object({ upn: z.string(), doc: z.string() });
const logRow = z.object({ action_type: z.string(), target: z.string(), detail: z.string() });

/** delete_mailbox is irreversible: the lab never automates it, whatever a policy says. */
const UNSUPPORTED = new Set<ActionType>(["delete_mailbox"]);

function notFound(what: string): ToolError {
  return new ToolError("NOT_FOUND", `no ${what} in the lab`, { vendor: LAB_VENDOR });
}

function rowOf<S extends z.ZodType>(schema: S, row: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(row);
  if (!parsed.success)
    throw new ToolError("BAD_RESPONSE", `lab ${what} row is malformed`, { vendor: LAB_VENDOR });
  return parsed.data;
}

/**
 * `actionDelayMs` (tests only, TRIAGE_TEST_ACTION_DELAY_MS): the lab waits that long before acting and
 * again after, like a slow or locked vendor, so a reliability test can kill a process with the action in
 * flight on either side of the effect. Real vendors never see it.
 */
export function createLabResponder(
  db: Database.Database,
  options: { now: () => Date; actionDelayMs?: number },
): ResponseActions {
  const delayMs = options.actionDelayMs ?? 0;
  const userExists = (upn: string) =>
    db.prepare("SELECT 1 FROM users WHERE upn = ? COLLATE NOCASE").get(upn) !== undefined;

  /** Applies the effect and describes it; throws NOT_FOUND, rolling back the claim, when the target is gone. */
  function apply(action: ProposedAction): string {
    const target = action.target;
    switch (action.type) {
      case "quarantine_message": {
        // The target is the RFC 5322 Message-ID, so every mailbox's copy moves, not only the reporter's.
        const copies = db
          .prepare("SELECT id, doc FROM messages WHERE message_id = ? ORDER BY id")
          .all(target)
          .map((row) => rowOf(idDocRow, row, "message"));
        if (copies.length === 0) throw notFound(`message ${target}`);
        const update = db.prepare("UPDATE messages SET doc = ? WHERE id = ?");
        for (const copy of copies) {
          const message = parseJsonDoc(mailboxMessageSchema, copy.doc, "message");
          update.run(JSON.stringify({ ...message, folder: "Quarantine" }), copy.id);
        }
        return `moved ${copies.length} ${copies.length === 1 ? "copy" : "copies"} of ${target} to Quarantine`;
      }
      case "remove_inbox_rule": {
        const removed = db.prepare("DELETE FROM inbox_rules WHERE id = ?").run(target);
        if (removed.changes === 0) throw notFound(`inbox rule ${target}`);
        return `removed inbox rule ${target}`;
      }
      case "disable_user": {
        const found = db.prepare("SELECT upn, doc FROM users WHERE upn = ? COLLATE NOCASE").get(target);
        if (found === undefined) throw notFound(`user ${target}`);
        const row = rowOf(userDocRow, found, "user");
        const user = parseJsonDoc(directoryUserSchema, row.doc, "user");
        db.prepare("UPDATE users SET doc = ? WHERE upn = ?").run(
          JSON.stringify({ ...user, accountEnabled: false }),
          row.upn,
        );
        return `disabled the account of ${user.userPrincipalName}`;
      }
      case "isolate_host": {
        const found = db.prepare("SELECT id, doc FROM hosts WHERE hostname = ? COLLATE NOCASE").get(target);
        if (found === undefined) throw notFound(`host ${target}`);
        const row = rowOf(idDocRow, found, "host");
        const host = parseJsonDoc(hostSchema, row.doc, "host");
        db.prepare("UPDATE hosts SET doc = ? WHERE id = ?").run(
          JSON.stringify({ ...host, isolated: true }),
          row.id,
        );
        return `isolated ${host.hostname} from the network`;
      }
      // The lab keeps no sessions, passwords or blocklists: these are recorded in action_log only. The
      // target must still exist where the lab knows it, so a wrong target fails as it would for real.
      case "revoke_sessions":
        if (!userExists(target)) throw notFound(`user ${target}`);
        return `revoked every session of ${target}`;
      case "reset_password":
        if (!userExists(target)) throw notFound(`user ${target}`);
        return `forced a password reset for ${target}`;
      case "kill_process":
        if (db.prepare("SELECT 1 FROM processes WHERE id = ?").get(target) === undefined)
          throw notFound(`process ${target}`);
        return `terminated process ${target}`;
      case "block_sender":
        return `added ${target} to the sender blocklist`;
      case "block_domain":
        return `added ${target} to the domain blocklist`;
      case "block_url":
        return `added ${target} to the URL blocklist`;
      case "block_ip":
        return `added ${target} to the IP blocklist`;
      case "notify_reporter":
        return `notified ${target}`;
      case "close_case":
        return `closed ${target}`;
      case "escalate":
        return `escalated ${target} to the on-call analyst`;
      case "delete_mailbox":
        throw new ToolError("UNSUPPORTED", "the lab never deletes mailboxes", { vendor: LAB_VENDOR });
    }
  }

  /** The effect an earlier key already put in place, described; null when the action would change something. */
  function alreadyInEffect(action: ProposedAction): string | null {
    const target = action.target;
    switch (action.type) {
      case "isolate_host": {
        const found = db.prepare("SELECT id, doc FROM hosts WHERE hostname = ? COLLATE NOCASE").get(target);
        if (found === undefined) return null;
        const host = parseJsonDoc(hostSchema, rowOf(idDocRow, found, "host").doc, "host");
        return host.isolated ? `${host.hostname} is already isolated` : null;
      }
      case "disable_user": {
        const found = db.prepare("SELECT upn, doc FROM users WHERE upn = ? COLLATE NOCASE").get(target);
        if (found === undefined) return null;
        const user = parseJsonDoc(directoryUserSchema, rowOf(userDocRow, found, "user").doc, "user");
        return user.accountEnabled ? null : `the account of ${user.userPrincipalName} is already disabled`;
      }
      case "quarantine_message": {
        const copies = db
          .prepare("SELECT id, doc FROM messages WHERE message_id = ?")
          .all(target)
          .map((row) => parseJsonDoc(mailboxMessageSchema, rowOf(idDocRow, row, "message").doc, "message"));
        return copies.length > 0 && copies.every((m) => m.folder === "Quarantine")
          ? `every copy of ${target} is already in Quarantine`
          : null;
      }
      case "remove_inbox_rule": {
        // A rule that is gone because we removed it is done; one that never existed is NOT_FOUND.
        const present = db.prepare("SELECT 1 FROM inbox_rules WHERE id = ?").get(target) !== undefined;
        const removedByUs = db
          .prepare(
            "SELECT 1 FROM action_log WHERE action_type = 'remove_inbox_rule' AND target = ? AND detail != ''",
          )
          .get(target);
        return !present && removedByUs !== undefined ? `inbox rule ${target} was already removed` : null;
      }
      // Record-only actions (blocklists, notifications) and the rest change nothing we could check.
      case "revoke_sessions":
      case "reset_password":
      case "kill_process":
      case "block_sender":
      case "block_domain":
      case "block_url":
      case "block_ip":
      case "notify_reporter":
      case "close_case":
      case "escalate":
      case "delete_mailbox":
        return null;
    }
  }

  const run = db.transaction((action: ProposedAction, key: string): ResponseOutcome => {
    // Prepared per call, like the ports, so a toolset can be built before the lab's tables exist.
    const claim = db.prepare(
      `INSERT INTO action_log (idempotency_key, action_type, target, detail, at) VALUES (?, ?, ?, '', ?)
       ON CONFLICT (idempotency_key) DO NOTHING`,
    );
    if (claim.run(key, action.type, action.target, options.now().toISOString()).changes === 0) {
      const logged = db.prepare(
        "SELECT action_type, target, detail FROM action_log WHERE idempotency_key = ?",
      );
      const done = rowOf(logRow, logged.get(key), "action log");
      // The key names one action: reusing it for another is a caller's bug, and answering already_done
      // would report an action as done that never ran.
      if (done.action_type !== action.type || done.target !== action.target)
        throw new ToolError(
          "BAD_INPUT",
          `idempotency key ${key} was used for ${done.action_type} ${done.target}, not ${action.type} ${action.target}`,
          { vendor: LAB_VENDOR },
        );
      return { outcome: "already_done", detail: done.detail };
    }
    const inEffect = alreadyInEffect(action);
    const detail = inEffect ?? apply(action);
    db.prepare("UPDATE action_log SET detail = ? WHERE idempotency_key = ?").run(detail, key);
    return { outcome: inEffect === null ? "executed" : "already_done", detail };
  });

  return {
    vendor: LAB_VENDOR,
    supports: (type) => !UNSUPPORTED.has(type),
    async execute(action, context): Promise<ResponseOutcome> {
      checkAborted(context.signal);
      if (UNSUPPORTED.has(action.type))
        throw new ToolError("UNSUPPORTED", `the lab does not automate ${action.type}`, {
          vendor: LAB_VENDOR,
        });
      if (delayMs > 0) await sleep(delayMs, undefined, context.signal ? { signal: context.signal } : {});
      const outcome = run.immediate(action, context.idempotencyKey);
      if (delayMs > 0) await sleep(delayMs, undefined, context.signal ? { signal: context.signal } : {});
      return outcome;
    },
  };
}
