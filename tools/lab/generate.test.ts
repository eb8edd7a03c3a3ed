import { createHash } from "node:crypto";
import Database from "better-sqlite3";
import { simpleParser } from "mailparser";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  alertSchema,
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
} from "../../core/domain.ts";
import { generateLab } from "./generate.ts";
import { readGroundTruth } from "./ground-truth.ts";

function generated(seed: number): Database.Database {
  const db = new Database(":memory:");
  generateLab(db, { seed });
  return db;
}

const TABLES = [
  "alerts",
  "ground_truth",
  "siem_events",
  "hosts",
  "processes",
  "connections",
  "detections",
  "messages",
  "inbox_rules",
  "users",
  "sign_ins",
  "intel",
];

function digest(db: Database.Database): string {
  const hash = createHash("sha256");
  for (const table of TABLES)
    for (const row of db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all())
      hash.update(JSON.stringify(row));
  return hash.digest("hex");
}

const docRow = z.object({ doc: z.string() });
const docsOf = (db: Database.Database, table: string) =>
  db
    .prepare(`SELECT doc FROM ${table}`)
    .all()
    .map((r) => JSON.parse(docRow.parse(r).doc) as unknown);

describe("lab generator", () => {
  let db: Database.Database;
  beforeAll(() => {
    db = generated(1337);
  });

  it("is deterministic: same seed, same database; another seed, another", () => {
    expect(digest(generated(1337))).toBe(digest(db));
    expect(digest(generated(7))).not.toBe(digest(db));
  });

  it("has at least 200 alerts, each with a ground-truth label, both labels in every family", () => {
    const alerts = docsOf(db, "alerts").map((a) => alertSchema.parse(a));
    expect(alerts.length).toBeGreaterThanOrEqual(200);
    const truth = new Map(readGroundTruth(db).map((t) => [t.alertId, t]));
    for (const alert of alerts) expect(truth.has(alert.id)).toBe(true);
    for (const family of ["email", "identity", "endpoint", "network"]) {
      const labels = new Set(
        alerts.filter((a) => a.family === family).map((a) => truth.get(a.id)?.disposition),
      );
      expect([...labels].sort()).toEqual(["benign", "malicious"]);
    }
    expect(new Set(readGroundTruth(db).map((t) => t.scenario)).size).toBeGreaterThanOrEqual(12);
  });

  it("writes every document in the shape its port returns", () => {
    const shapes: Array<[string, z.ZodType]> = [
      ["siem_events", siemEventSchema],
      ["hosts", hostSchema],
      ["processes", processSchema],
      ["connections", networkConnectionSchema],
      ["detections", edrDetectionSchema],
      ["messages", mailboxMessageSchema],
      ["inbox_rules", inboxRuleSchema],
      ["users", directoryUserSchema],
      ["sign_ins", signInSchema],
      ["intel", intelVerdictSchema],
    ];
    for (const [table, schema] of shapes)
      for (const doc of docsOf(db, table)) expect(schema.safeParse(doc).success, table).toBe(true);
  });

  it("stores real RFC 5322 messages whose Message-ID matches their row", async () => {
    const rows = z
      .array(z.object({ message_id: z.string(), raw: z.string() }))
      .parse(db.prepare("SELECT message_id, raw FROM messages GROUP BY message_id").all());
    for (const row of rows) {
      const parsed = await simpleParser(row.raw);
      expect(parsed.messageId).toBe(row.message_id);
      expect(parsed.from?.value[0]?.address).toBeTruthy();
    }
  });

  it("points every alert at data that exists", () => {
    const exists = (sql: string, ...args: string[]) => db.prepare(sql).get(...args) !== undefined;
    for (const alert of docsOf(db, "alerts").map((a) => alertSchema.parse(a))) {
      const raw = alert.raw;
      if (typeof raw.mailId === "string")
        expect(exists("SELECT 1 FROM messages WHERE id = ?", raw.mailId)).toBe(true);
      if (typeof raw.ruleId === "string")
        expect(exists("SELECT 1 FROM inbox_rules WHERE id = ?", raw.ruleId)).toBe(true);
      if (typeof raw.processId === "string")
        expect(exists("SELECT 1 FROM processes WHERE id = ?", raw.processId)).toBe(true);
      if (typeof raw.signInId === "string")
        expect(exists("SELECT 1 FROM sign_ins WHERE id = ?", raw.signInId)).toBe(true);
      for (const id of z.array(z.string()).catch([]).parse(raw.signInIds))
        expect(exists("SELECT 1 FROM sign_ins WHERE id = ?", id)).toBe(true);
    }
  });

  it("never names the label in what the engine sees", () => {
    for (const alert of docsOf(db, "alerts").map((a) => alertSchema.parse(a))) {
      expect(JSON.stringify(alert)).not.toMatch(/malicious|benign|ground.?truth|scenario/i);
    }
  });
});
