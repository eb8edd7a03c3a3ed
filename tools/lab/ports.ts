/**
 * The lab's implementation of every read-only port, over the lab database. Each document is parsed with
 * the port's zod schema on the way out, so the lab returns exactly what a vendor adapter would.
 */
import type Database from "better-sqlite3";
import { z } from "zod";
import { ToolError } from "../errors.ts";
import {
  alertSchema,
  alertSummarySchema,
  directoryUserSchema,
  edrDetectionSchema,
  hostSchema,
  inboxRuleSchema,
  intelVerdictSchema,
  mailboxMessageSchema,
  networkConnectionSchema,
  processSchema,
  siemEventSchema,
  signInSchema,
  type AlertSource,
  type Edr,
  type Identity,
  type MailSearch,
  type SiemEvent,
  type SiemFilter,
  type SiemSearch,
  type ThreatIntel,
  type Toolset,
} from "../types.ts";
import { createLabResponder } from "./responder.ts";

const docRow = z.object({ doc: z.string() });
const rawRow = z.object({ raw: z.string() });

function parseDoc<S extends z.ZodType>(schema: S, row: unknown, what: string): z.infer<S> {
  const { doc } = docRow.parse(row);
  const parsed = schema.safeParse(JSON.parse(doc));
  if (!parsed.success)
    throw new ToolError(
      "BAD_RESPONSE",
      `lab ${what} does not fit its schema: ${parsed.error.issues[0]?.message ?? "invalid"}`,
    );
  return parsed.data;
}

function docs<S extends z.ZodType>(schema: S, rows: unknown[], what: string): Array<z.infer<S>> {
  return rows.map((r) => parseDoc(schema, r, what));
}

function abortable(options?: { signal?: AbortSignal }): void {
  if (options?.signal?.aborted) throw new ToolError("TIMEOUT", "lab call aborted");
}

const lower = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : v);

/** One filter over a flat ECS event. Strings compare case-insensitively, as SIEM keyword fields usually do. */
export function matchesFilter(fields: SiemEvent["fields"], filter: SiemFilter): boolean {
  const actual = fields[filter.field];
  const value = filter.value;
  switch (filter.op) {
    case "eq":
      return actual !== undefined && actual !== null && lower(actual) === lower(value);
    case "neq":
      return actual === undefined || actual === null || lower(actual) !== lower(value);
    case "in":
      return Array.isArray(value) && value.some((v) => lower(v) === lower(actual));
    case "contains":
      return (
        typeof actual === "string" &&
        typeof value === "string" &&
        actual.toLowerCase().includes(value.toLowerCase())
      );
    case "gte":
    case "lte": {
      if (actual === undefined || actual === null || Array.isArray(value)) return false;
      const a = typeof actual === "number" ? actual : String(actual);
      const b = typeof actual === "number" ? Number(value) : String(value);
      return filter.op === "gte" ? a >= b : a <= b;
    }
  }
}

export function createLabToolset(db: Database.Database, options: { now?: () => Date } = {}): Toolset {
  const now = options.now ?? (() => new Date());

  const alerts: AlertSource = {
    name: "lab",
    async getAlert(id, o) {
      abortable(o);
      const row = db.prepare("SELECT doc FROM alerts WHERE id = ?").get(id);
      if (row === undefined) throw new ToolError("NOT_FOUND", `no lab alert ${id}`);
      return parseDoc(alertSchema, row, "alert");
    },
    async listAlerts(query, o) {
      abortable(o);
      const rows = db
        .prepare("SELECT doc FROM alerts WHERE created_at > ? ORDER BY created_at, id LIMIT ?")
        .all(query.since ?? "", query.limit ?? 1000);
      return docs(alertSummarySchema, rows, "alert");
    },
  };

  const siem: SiemSearch = {
    vendor: "lab",
    async searchEvents(query, o) {
      abortable(o);
      const out: SiemEvent[] = [];
      // Filters run in code, row by row, so the lab supports every operator the port promises.
      for (const row of db
        .prepare("SELECT doc FROM siem_events WHERE dataset = ? AND ts >= ? AND ts <= ? ORDER BY ts, id")
        .iterate(query.dataset, normalizeIso(query.from), normalizeIso(query.to))) {
        const event = parseDoc(siemEventSchema, row, "SIEM event");
        if (query.where.every((f) => matchesFilter(event.fields, f))) out.push(event);
        if (out.length >= query.limit) break;
      }
      return out;
    },
  };

  const edr: Edr = {
    vendor: "lab",
    async getHost(hostname, o) {
      abortable(o);
      const row = db.prepare("SELECT doc FROM hosts WHERE hostname = ? COLLATE NOCASE").get(hostname);
      return row === undefined ? null : parseDoc(hostSchema, row, "host");
    },
    async getProcessTree(hostId, processId, o) {
      abortable(o);
      const start = db
        .prepare("SELECT doc FROM processes WHERE id = ? AND host_id = ?")
        .get(processId, hostId);
      if (start === undefined) return null;
      const ancestors = db
        .prepare(
          `WITH RECURSIVE up(id, parent_id, doc, depth) AS (
             SELECT id, parent_id, doc, 0 FROM processes WHERE id = ?
             UNION ALL SELECT p.id, p.parent_id, p.doc, up.depth + 1 FROM processes p JOIN up ON p.id = up.parent_id WHERE up.depth < 32)
           SELECT doc FROM up`,
        )
        .all(processId);
      const descendants = db
        .prepare(
          `WITH RECURSIVE down(id, doc, depth) AS (
             SELECT id, doc, 0 FROM processes WHERE parent_id = ?
             UNION ALL SELECT p.id, p.doc, down.depth + 1 FROM processes p JOIN down ON p.parent_id = down.id WHERE down.depth < 32)
           SELECT doc FROM down LIMIT 500`,
        )
        .all(processId);
      const processes = docs(processSchema, [...ancestors, ...descendants], "process");
      const ids = processes.map((p) => p.id);
      const connections = docs(
        networkConnectionSchema,
        db
          .prepare(`SELECT doc FROM connections WHERE process_id IN (${ids.map(() => "?").join(",")})`)
          .all(...ids),
        "connection",
      );
      return {
        hostId,
        rootId:
          processes[processes.length > ancestors.length ? ancestors.length - 1 : processes.length - 1]?.id ??
          processId,
        processes,
        connections,
      };
    },
    async listDetections(query, o) {
      abortable(o);
      const rows = db
        .prepare("SELECT doc FROM detections WHERE host_id = ? AND ts >= ? AND ts <= ? ORDER BY ts")
        .all(
          query.hostId,
          query.since ? normalizeIso(query.since) : "",
          query.until ? normalizeIso(query.until) : "9999",
        );
      return docs(edrDetectionSchema, rows, "detection");
    },
  };

  const mail: MailSearch = {
    vendor: "lab",
    async findMessages(query, o) {
      abortable(o);
      const clauses: string[] = [];
      const params: string[] = [];
      if (query.messageId) {
        clauses.push("message_id = ?");
        params.push(query.messageId);
      }
      if (query.from) {
        clauses.push("from_addr = ? COLLATE NOCASE");
        params.push(query.from);
      }
      if (query.subject) {
        clauses.push("subject = ?");
        params.push(query.subject);
      }
      if (query.mailbox) {
        clauses.push("mailbox = ? COLLATE NOCASE");
        params.push(query.mailbox);
      }
      if (!clauses.length)
        throw new ToolError(
          "BAD_INPUT",
          "mail search needs at least one of messageId, from, subject, mailbox",
        );
      if (query.since) {
        clauses.push("received_at >= ?");
        params.push(normalizeIso(query.since));
      }
      if (query.until) {
        clauses.push("received_at <= ?");
        params.push(normalizeIso(query.until));
      }
      const rows = db
        .prepare(`SELECT doc FROM messages WHERE ${clauses.join(" AND ")} ORDER BY received_at, id LIMIT ?`)
        .all(...params, query.limit);
      return docs(mailboxMessageSchema, rows, "message");
    },
    async getRawMessage(mailbox, id, o) {
      abortable(o);
      const row = db
        .prepare("SELECT raw FROM messages WHERE id = ? AND mailbox = ? COLLATE NOCASE")
        .get(id, mailbox);
      return row === undefined ? null : rawRow.parse(row).raw;
    },
    async listInboxRules(mailbox, o) {
      abortable(o);
      return docs(
        inboxRuleSchema,
        db.prepare("SELECT doc FROM inbox_rules WHERE mailbox = ? COLLATE NOCASE ORDER BY id").all(mailbox),
        "inbox rule",
      );
    },
  };

  const identity: Identity = {
    vendor: "lab",
    async getUser(upn, o) {
      abortable(o);
      const row = db.prepare("SELECT doc FROM users WHERE upn = ? COLLATE NOCASE").get(upn);
      return row === undefined ? null : parseDoc(directoryUserSchema, row, "user");
    },
    async listSignIns(query, o) {
      abortable(o);
      const rows = db
        .prepare(
          "SELECT doc FROM sign_ins WHERE user = ? COLLATE NOCASE AND ts >= ? AND ts <= ? ORDER BY ts, id LIMIT ?",
        )
        .all(query.user, normalizeIso(query.since), normalizeIso(query.until), query.limit ?? 100);
      return docs(signInSchema, rows, "sign-in");
    },
  };

  const intel: ThreatIntel = {
    vendor: "lab",
    async lookup(observable, o) {
      abortable(o);
      const row = db
        .prepare("SELECT doc FROM intel WHERE type = ? AND value = ? COLLATE NOCASE")
        .get(observable.type, observable.value);
      if (row !== undefined) return parseDoc(intelVerdictSchema, row, "intel verdict");
      return {
        observable: { type: observable.type, value: observable.value },
        verdict: "unknown",
        sources: ["lab"],
        tags: [],
      };
    },
  };

  return { alerts, siem, edr, mail, identity, intel, actions: createLabResponder(db, { now }) };
}

/** Stored timestamps are UTC with milliseconds (toISOString); compare like with like. */
function normalizeIso(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString();
}
