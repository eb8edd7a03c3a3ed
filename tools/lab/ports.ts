/**
 * The lab's implementation of every port, over the lab database (tools/lab/schema.ts). Each stored
 * document is parsed with the port's zod schema on the way out, so the lab returns exactly what a vendor
 * adapter would, and a damaged row fails as a typed BAD_RESPONSE instead of leaking a malformed object.
 */
import type Database from "better-sqlite3";
import { z } from "zod";
import { ToolError } from "../../core/errors.ts";
import {
  alertSchema,
  alertFamilySchema,
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
  type IntelVerdict,
  type ProcessRecord,
  type SiemEvent,
  type SiemFilter,
} from "../../core/domain.ts";
import {
  type AlertSource,
  type CallOptions,
  type Edr,
  type Identity,
  type MailSearch,
  type SiemSearch,
  type ThreatIntel,
  type Toolset,
} from "../../core/ports.ts";
import { badLabData, checkAborted, LAB_VENDOR, parseDoc, parseDocs } from "./docs.ts";
import { createLabResponder } from "./responder.ts";

/** Generous defaults: the lab is small, and callers that care pass their own limit. */
const DEFAULT_ALERT_LIMIT = 1000;
const DEFAULT_SIGN_IN_LIMIT = 100;
/** A process tree is cut off here, so a cycle or a fork bomb in the data cannot exhaust memory. */
const MAX_TREE_DEPTH = 64;
const MAX_TREE_PROCESSES = 1000;

const rawRow = z.object({ raw: z.string() });

function checkCall(options: CallOptions | undefined): void {
  checkAborted(options?.signal);
}

/**
 * Stored timestamps are UTC `toISOString()` strings (the generator and the fixture both write them so),
 * which sort as text; a query bound is brought to the same form so text comparison in SQL stays correct
 * whatever offset the caller used. An unparseable bound is a caller's mistake, not an empty result.
 */
function isoBound(value: string, name: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new ToolError("BAD_INPUT", `${name} is not an ISO 8601 timestamp: ${value}`, {
      vendor: LAB_VENDOR,
    });
  return new Date(ms).toISOString();
}

// Bounds that hold every stored timestamp, for optional ends of a range.
const BEFORE_ALL = "";
const AFTER_ALL = "9999-12-31T23:59:59.999Z";

// ---------------------------------------------------------------------------------------------------
// SIEM filters
// ---------------------------------------------------------------------------------------------------

type FieldValue = SiemEvent["fields"][string];

/** Keyword comparison as SIEMs do it: type-blind (200 equals "200") and case-insensitive. */
function keyword(value: string | number | boolean): string {
  return String(value).toLowerCase();
}

const ISO_PREFIX = /^\d{4}-\d{2}-\d{2}T/;

/**
 * Orders two values for gte/lte: numerically when both are numbers (or numeric strings), as instants when
 * both are ISO timestamps (so offsets compare correctly), else as text. null when they cannot be ordered.
 */
function compareOrdered(actual: FieldValue | undefined, expected: string | number): number | null {
  if (actual === undefined || actual === null || typeof actual === "boolean") return null;
  const a = typeof actual === "number" ? actual : actual.trim() === "" ? Number.NaN : Number(actual);
  const b = typeof expected === "number" ? expected : expected.trim() === "" ? Number.NaN : Number(expected);
  if (Number.isFinite(a) && Number.isFinite(b)) return a - b;
  if (typeof actual === "string" && typeof expected === "string") {
    if (ISO_PREFIX.test(actual) && ISO_PREFIX.test(expected)) {
      const ta = Date.parse(actual);
      const tb = Date.parse(expected);
      if (!Number.isNaN(ta) && !Number.isNaN(tb)) return ta - tb;
    }
    return actual < expected ? -1 : actual > expected ? 1 : 0;
  }
  return null;
}

/**
 * One filter over a flat ECS event. A missing or null field matches nothing but `neq`, the way a SIEM's
 * `field != x` keeps events that lack the field.
 */
export function matchesFilter(fields: SiemEvent["fields"], filter: SiemFilter): boolean {
  const actual = fields[filter.field];
  const present = actual !== undefined && actual !== null;
  const { value } = filter;
  switch (filter.op) {
    case "eq":
      return present && !Array.isArray(value) && keyword(actual) === keyword(value);
    case "neq":
      return !present || Array.isArray(value) || keyword(actual) !== keyword(value);
    case "in": {
      const options = Array.isArray(value) ? value : [value];
      return present && options.some((v) => keyword(v) === keyword(actual));
    }
    case "contains":
      return (
        present &&
        typeof actual !== "boolean" &&
        !Array.isArray(value) &&
        keyword(actual).includes(keyword(value))
      );
    case "gte":
    case "lte": {
      if (Array.isArray(value)) return false;
      const order = compareOrdered(actual, value);
      if (order === null) return false;
      return filter.op === "gte" ? order >= 0 : order <= 0;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// The toolset
// ---------------------------------------------------------------------------------------------------

/**
 * Every port over one open lab database. The caller owns `db` (openLab or a test fixture opened it), so
 * `close` leaves it open: closing here would pull the database from under whoever else holds it.
 */
const listRowSchema = z.object({
  id: z.string(),
  created_at: z.string(),
  family: z.string(),
  type: z.string(),
  doc: z.string(),
});

export function createLabToolset(
  db: Database.Database,
  options: { now?: () => Date; actionDelayMs?: number } = {},
): Toolset {
  const now = options.now ?? (() => new Date());

  const alerts: AlertSource = {
    name: LAB_VENDOR,
    async getAlert(id, call) {
      checkCall(call);
      const row = db.prepare("SELECT doc FROM alerts WHERE id = ?").get(id);
      if (row === undefined) throw new ToolError("NOT_FOUND", `no lab alert ${id}`, { vendor: LAB_VENDOR });
      return parseDoc(alertSchema, row, "alert");
    },
    async listAlerts(query, call) {
      checkCall(call);
      const since = query.since === undefined ? BEFORE_ALL : isoBound(query.since, "since");
      const rows = db
        .prepare(
          "SELECT id, created_at, family, type, doc FROM alerts WHERE created_at > ? ORDER BY created_at, id LIMIT ?",
        )
        .all(since, query.limit ?? DEFAULT_ALERT_LIMIT);
      // One unreadable alert must not hide the others: it is listed from its columns, and fetching it
      // (getAlert) fails on its own, so a batch records that one alert as failed and goes on.
      return rows.map((row) => {
        const r = listRowSchema.parse(row);
        let doc: unknown = null;
        try {
          doc = JSON.parse(r.doc);
        } catch {
          doc = null;
        }
        const parsed = alertSummarySchema.safeParse(doc);
        if (parsed.success) return parsed.data;
        return {
          id: r.id,
          family: alertFamilySchema.catch("email").parse(r.family),
          type: r.type,
          title: "(unreadable alert document)",
          severity: "medium" as const,
          createdAt: r.created_at,
        };
      });
    },
  };

  const siem: SiemSearch = {
    vendor: LAB_VENDOR,
    // The lab's logs are its fictional company's: history for the lab's own alerts, no one else's.
    simulated: true,
    async searchEvents(query, call) {
      checkCall(call);
      const out: SiemEvent[] = [];
      // Dataset and range narrow in SQL (indexed); filters run in code, so every operator the port
      // promises behaves identically whatever the field. Iterating stops as soon as the limit is met.
      // Equality on ASCII strings also narrows in SQL, so rows that cannot match are never parsed; the code
      // filter below still decides, so the SQL only has to keep every row that might match.
      const narrowing: string[] = [];
      const params: string[] = [];
      for (const filter of query.where) {
        const values = filter.op === "eq" ? [filter.value] : filter.op === "in" ? filter.value : null;
        if (!Array.isArray(values) && values !== null) continue;
        const list = (values ?? []).filter((v): v is string => typeof v === "string");
        if (!values || list.length !== values.length || list.some((v) => !/^[\x20-\x7e]*$/.test(v))) continue;
        narrowing.push(
          `lower(json_extract(doc, '$.fields."${filter.field}"')) IN (${list.map(() => "lower(?)").join(", ")})`,
        );
        params.push(...list);
      }
      const rows = db
        .prepare(
          `SELECT doc FROM siem_events WHERE dataset = ? AND ts >= ? AND ts <= ?${narrowing.map((n) => ` AND ${n}`).join("")} ORDER BY ts, id`,
        )
        .iterate(query.dataset, isoBound(query.from, "from"), isoBound(query.to, "to"), ...params);
      for (const row of rows) {
        const event = parseDoc(siemEventSchema, row, "SIEM event");
        if (query.where.every((filter) => matchesFilter(event.fields, filter))) out.push(event);
        if (out.length >= query.limit) break;
      }
      return out;
    },
  };

  const edr: Edr = {
    vendor: LAB_VENDOR,
    async getHost(hostname, call) {
      checkCall(call);
      const row = db.prepare("SELECT doc FROM hosts WHERE hostname = ? COLLATE NOCASE").get(hostname);
      return row === undefined ? null : parseDoc(hostSchema, row, "host");
    },
    async getProcessTree(hostId, processId, call) {
      checkCall(call);
      const start = db.prepare("SELECT 1 FROM processes WHERE id = ? AND host_id = ?").get(processId, hostId);
      if (start === undefined) return null;
      // Ancestors, the process itself first and the root last; the depth bound stops a parent cycle.
      const up = db
        .prepare(
          `WITH RECURSIVE up(id, parent_id, doc, depth) AS (
             SELECT id, parent_id, doc, 0 FROM processes WHERE id = ? AND host_id = ?
             UNION ALL
             SELECT p.id, p.parent_id, p.doc, up.depth + 1 FROM processes p JOIN up ON p.id = up.parent_id
             WHERE p.host_id = ? AND up.depth < ?)
           SELECT doc FROM up ORDER BY depth`,
        )
        .all(processId, hostId, hostId, MAX_TREE_DEPTH);
      const down = db
        .prepare(
          `WITH RECURSIVE down(id, doc, depth) AS (
             SELECT id, doc, 1 FROM processes WHERE parent_id = ? AND host_id = ?
             UNION ALL
             SELECT p.id, p.doc, down.depth + 1 FROM processes p JOIN down ON p.parent_id = down.id
             WHERE p.host_id = ? AND down.depth < ?)
           SELECT doc FROM down ORDER BY depth, id LIMIT ?`,
        )
        .all(processId, hostId, hostId, MAX_TREE_DEPTH, MAX_TREE_PROCESSES);
      const ancestry = parseDocs(processSchema, up, "process");
      // Root first, then down the chain to the process, then its descendants level by level; a process
      // met twice (a cycle in the data) is listed once.
      const byId = new Map<string, ProcessRecord>();
      for (const process of [...ancestry.reverse(), ...parseDocs(processSchema, down, "process")])
        if (!byId.has(process.id)) byId.set(process.id, process);
      const processes = [...byId.values()];
      const ids = [...byId.keys()];
      const connections = parseDocs(
        networkConnectionSchema,
        db
          .prepare(
            `SELECT doc FROM connections WHERE process_id IN (${ids.map(() => "?").join(", ")}) ORDER BY rowid`,
          )
          .all(...ids),
        "network connection",
      );
      return { hostId, rootId: processes[0]?.id ?? processId, processes, connections };
    },
    async listDetections(query, call) {
      checkCall(call);
      const rows = db
        .prepare("SELECT doc FROM detections WHERE host_id = ? AND ts >= ? AND ts <= ? ORDER BY ts, id")
        .all(
          query.hostId,
          query.since === undefined ? BEFORE_ALL : isoBound(query.since, "since"),
          query.until === undefined ? AFTER_ALL : isoBound(query.until, "until"),
        );
      return parseDocs(edrDetectionSchema, rows, "detection");
    },
  };

  const mail: MailSearch = {
    vendor: LAB_VENDOR,
    async findMessages(query, call) {
      checkCall(call);
      const clauses: string[] = [];
      const params: string[] = [];
      const where = (clause: string, param: string) => {
        clauses.push(clause);
        params.push(param);
      };
      // Empty strings count as absent: `from: ""` must not turn into "every message in every mailbox".
      if (query.messageId) where("message_id = ?", query.messageId);
      if (query.from) where("from_addr = ? COLLATE NOCASE", query.from);
      if (query.subject) where("subject = ?", query.subject);
      if (query.mailbox) where("mailbox = ? COLLATE NOCASE", query.mailbox);
      if (clauses.length === 0)
        throw new ToolError(
          "BAD_INPUT",
          "mail search needs at least one of messageId, from, subject, mailbox",
          {
            vendor: LAB_VENDOR,
          },
        );
      if (query.since !== undefined) where("received_at >= ?", isoBound(query.since, "since"));
      if (query.until !== undefined) where("received_at <= ?", isoBound(query.until, "until"));
      const rows = db
        .prepare(`SELECT doc FROM messages WHERE ${clauses.join(" AND ")} ORDER BY received_at, id LIMIT ?`)
        .all(...params, query.limit);
      return parseDocs(mailboxMessageSchema, rows, "message");
    },
    async getRawMessage(mailbox, id, call) {
      checkCall(call);
      const row = db
        .prepare("SELECT raw FROM messages WHERE id = ? AND mailbox = ? COLLATE NOCASE")
        .get(id, mailbox);
      if (row === undefined) return null;
      const parsed = rawRow.safeParse(row);
      if (!parsed.success) throw badLabData("message", "raw source is not text");
      return parsed.data.raw;
    },
    async listInboxRules(mailbox, call) {
      checkCall(call);
      const rows = db
        .prepare("SELECT doc FROM inbox_rules WHERE mailbox = ? COLLATE NOCASE ORDER BY id")
        .all(mailbox);
      return parseDocs(inboxRuleSchema, rows, "inbox rule");
    },
  };

  const identity: Identity = {
    vendor: LAB_VENDOR,
    async getUser(upn, call) {
      checkCall(call);
      const row = db.prepare("SELECT doc FROM users WHERE upn = ? COLLATE NOCASE").get(upn);
      return row === undefined ? null : parseDoc(directoryUserSchema, row, "user");
    },
    async listSignIns(query, call) {
      checkCall(call);
      const rows = db
        .prepare(
          "SELECT doc FROM sign_ins WHERE user = ? COLLATE NOCASE AND ts >= ? AND ts <= ? ORDER BY ts, id LIMIT ?",
        )
        .all(
          query.user,
          isoBound(query.since, "since"),
          isoBound(query.until, "until"),
          query.limit ?? DEFAULT_SIGN_IN_LIMIT,
        );
      return parseDocs(signInSchema, rows, "sign-in");
    },
  };

  const intel: ThreatIntel = {
    vendor: LAB_VENDOR,
    async lookup(observable, call): Promise<IntelVerdict> {
      checkCall(call);
      // Exact match on type and value only: a URL is not judged by its domain's row, because a verdict on
      // a shared host (a file-sharing site, say) says nothing about one URL on it.
      const row = db
        .prepare("SELECT doc FROM intel WHERE type = ? AND value = ? COLLATE NOCASE")
        .get(observable.type, observable.value);
      if (row !== undefined) return parseDoc(intelVerdictSchema, row, "intel verdict");
      return {
        observable: { type: observable.type, value: observable.value },
        verdict: "unknown",
        sources: [LAB_VENDOR],
        tags: [],
      };
    },
  };

  return {
    alerts,
    siem,
    edr,
    mail,
    identity,
    intel,
    actions: createLabResponder(db, {
      now,
      ...(options.actionDelayMs === undefined ? {} : { actionDelayMs: options.actionDelayMs }),
    }),
    close() {
      // Deliberately nothing: the database belongs to the caller (see above).
    },
  };
}
