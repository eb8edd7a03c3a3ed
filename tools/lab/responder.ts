/**
 * The lab's response actions. Each effect and its action_log row are written in one immediate
 * transaction keyed by the idempotency key, so a repeated or concurrent call reports already_done and the
 * effect happens once.
 */
import type Database from "better-sqlite3";
import { z } from "zod";
import { ToolError } from "../errors.ts";
import {
  directoryUserSchema,
  hostSchema,
  mailboxMessageSchema,
  type ActionType,
  type ProposedAction,
  type ResponseActions,
  type ResponseOutcome,
} from "../types.ts";

const docRow = z.object({ id: z.string().optional(), upn: z.string().optional(), doc: z.string() });
const logRow = z.object({ detail: z.string() });

/** delete_mailbox is irreversible: the lab never automates it, whatever a policy says. */
const UNSUPPORTED = new Set<ActionType>(["delete_mailbox"]);

export function createLabResponder(db: Database.Database, options: { now: () => Date }): ResponseActions {
  function apply(action: ProposedAction): string {
    switch (action.type) {
      case "quarantine_message": {
        const rows = db
          .prepare("SELECT id, doc FROM messages WHERE message_id = ?")
          .all(action.target)
          .map((r) => docRow.parse(r));
        if (!rows.length) throw new ToolError("NOT_FOUND", `no message ${action.target} in any mailbox`);
        const update = db.prepare("UPDATE messages SET doc = ? WHERE id = ?");
        for (const row of rows)
          update.run(
            JSON.stringify({ ...mailboxMessageSchema.parse(JSON.parse(row.doc)), folder: "Quarantine" }),
            row.id ?? "",
          );
        return `moved ${rows.length} cop${rows.length === 1 ? "y" : "ies"} of ${action.target} to Quarantine`;
      }
      case "remove_inbox_rule": {
        const removed = db.prepare("DELETE FROM inbox_rules WHERE id = ?").run(action.target);
        if (removed.changes === 0) throw new ToolError("NOT_FOUND", `no inbox rule ${action.target}`);
        return `removed inbox rule ${action.target}`;
      }
      case "disable_user": {
        const row = db.prepare("SELECT upn, doc FROM users WHERE upn = ? COLLATE NOCASE").get(action.target);
        if (row === undefined) throw new ToolError("NOT_FOUND", `no user ${action.target}`);
        const parsed = docRow.parse(row);
        db.prepare("UPDATE users SET doc = ? WHERE upn = ?").run(
          JSON.stringify({ ...directoryUserSchema.parse(JSON.parse(parsed.doc)), accountEnabled: false }),
          parsed.upn ?? action.target,
        );
        return `disabled ${action.target}`;
      }
      case "isolate_host": {
        const row = db
          .prepare("SELECT id, doc FROM hosts WHERE hostname = ? COLLATE NOCASE")
          .get(action.target);
        if (row === undefined) throw new ToolError("NOT_FOUND", `no host ${action.target}`);
        const parsed = docRow.parse(row);
        db.prepare("UPDATE hosts SET doc = ? WHERE id = ?").run(
          JSON.stringify({ ...hostSchema.parse(JSON.parse(parsed.doc)), isolated: true }),
          parsed.id ?? "",
        );
        return `isolated ${action.target} from the network`;
      }
      case "revoke_sessions":
      case "reset_password": {
        if (db.prepare("SELECT 1 FROM users WHERE upn = ? COLLATE NOCASE").get(action.target) === undefined)
          throw new ToolError("NOT_FOUND", `no user ${action.target}`);
        return action.type === "revoke_sessions"
          ? `revoked every session of ${action.target}`
          : `forced a password reset for ${action.target}`;
      }
      case "kill_process": {
        if (db.prepare("SELECT 1 FROM processes WHERE id = ?").get(action.target) === undefined)
          throw new ToolError("NOT_FOUND", `no process ${action.target}`);
        return `terminated process ${action.target}`;
      }
      case "block_sender":
      case "block_domain":
      case "block_url":
      case "block_ip":
        return `added ${action.target} to the ${action.type.replace("block_", "")} blocklist`;
      case "notify_reporter":
        return `notified ${action.target}`;
      case "close_case":
        return `closed ${action.target}`;
      case "escalate":
        return `escalated ${action.target} to the on-call analyst`;
      case "delete_mailbox":
        throw new ToolError("UNSUPPORTED", "the lab never deletes mailboxes");
    }
  }

  return {
    vendor: "lab",
    supports: (type) => !UNSUPPORTED.has(type),
    async execute(action, context): Promise<ResponseOutcome> {
      if (context.signal?.aborted) throw new ToolError("TIMEOUT", "lab action aborted");
      if (UNSUPPORTED.has(action.type)) throw new ToolError("UNSUPPORTED", `the lab does not ${action.type}`);
      return db
        .transaction((): ResponseOutcome => {
          const done = db
            .prepare("SELECT detail FROM action_log WHERE idempotency_key = ?")
            .get(context.idempotencyKey);
          if (done !== undefined) return { outcome: "already_done", detail: logRow.parse(done).detail };
          const detail = apply(action);
          db.prepare(
            "INSERT INTO action_log (idempotency_key, action_type, target, detail, at) VALUES (?, ?, ?, ?, ?)",
          ).run(context.idempotencyKey, action.type, action.target, detail, options.now().toISOString());
          return { outcome: "executed", detail };
        })
        .immediate();
    },
  };
}
