/**
 * What a kill trial stands on: its own copy of the lab and its own case memory, a SQLite file or a fresh
 * PostgreSQL database (apps/testing/kill-trials.ts, bench/kill-trials.ts --db), and the reads a trial makes
 * of both engines while the `triage` processes it starts and kills write them.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { z } from "zod";
import { isPostgresUrl } from "../../memory/sql/location.ts";

/** Where trials keep case memory: a SQLite file in the trial's directory, or a new PostgreSQL database. */
export type TrialDatabases =
  { engine: "sqlite" } | { engine: "postgres"; database: (name: string) => Promise<string> };

const countRow = z.object({ n: z.coerce.number() });
const logRow = z.object({ action_type: z.string(), target: z.string() });

/**
 * `SELECT COUNT(*) AS n …` on case memory at `location`, on either engine (the statement must be valid on
 * both). A database or table that does not exist yet counts 0: the trial's process has not made it yet.
 */
export async function countRows(location: string, sql: string): Promise<number> {
  if (isPostgresUrl(location)) {
    const client = new pg.Client({ connectionString: location });
    try {
      await client.connect();
      return countRow.parse((await client.query(sql)).rows[0]).n;
    } catch {
      return 0;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(location, { readonly: true, fileMustExist: true });
    return countRow.parse(db.prepare(sql).get()).n;
  } catch {
    return 0;
  } finally {
    db?.close();
  }
}

/** Rows of one column of case memory at `location`, on either engine. */
export async function listColumn(location: string, sql: string): Promise<string[]> {
  const row = z.object({ value: z.string() });
  if (isPostgresUrl(location)) {
    const client = new pg.Client({ connectionString: location });
    await client.connect();
    try {
      return (await client.query(sql)).rows.map((r: unknown) => row.parse(r).value);
    } finally {
      await client.end();
    }
  }
  const db = new Database(location, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare(sql)
      .all()
      .map((r) => row.parse(r).value);
  } finally {
    db.close();
  }
}

/** The lab's action log as a multiset of `type target`: what the vendor saw. */
export function actionLog(labDb: string): Map<string, number> {
  const db = new Database(labDb, { readonly: true });
  try {
    const counts = new Map<string, number>();
    for (const raw of db.prepare("SELECT action_type, target FROM action_log").all()) {
      const row = logRow.parse(raw);
      const key = `${row.action_type} ${row.target}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  } finally {
    db.close();
  }
}

/** A trial's action log against the crash-free one: actions missing, and actions run more than once. */
export function compareLogs(expected: Map<string, number>, actual: Map<string, number>) {
  let lost = 0;
  let duplicated = 0;
  for (const key of new Set([...expected.keys(), ...actual.keys()])) {
    const diff = (actual.get(key) ?? 0) - (expected.get(key) ?? 0);
    if (diff > 0) duplicated += diff;
    else lost -= diff;
  }
  const total = (m: Map<string, number>) => [...m.values()].reduce((s, n) => s + n, 0);
  return { expected: total(expected), ran: total(actual), lost, duplicated };
}

/**
 * The environment of one trial: a copy of the lab and a case memory of its own. On PostgreSQL the alert
 * queue lives in the same database (pg-boss's own schema), and the audit key and head file in the trial's
 * directory.
 */
export async function trialEnv(
  dir: string,
  labTemplate: string,
  name: string,
  databases: TrialDatabases,
): Promise<Record<string, string>> {
  const trial = join(dir, name);
  mkdirSync(trial, { recursive: true });
  copyFileSync(labTemplate, join(trial, "lab.db"));
  const common = { TRIAGE_LAB_DB: join(trial, "lab.db"), TRIAGE_POLICY: "", TRIAGE_CONFIG: "" };
  if (databases.engine === "sqlite") return { ...common, TRIAGE_DB: join(trial, "cases.db") };
  const url = await databases.database(name.replace(/-/g, "_"));
  return { ...common, TRIAGE_DB: url, TRIAGE_QUEUE: url, XDG_DATA_HOME: trial };
}
