/**
 * Opens the embedded lab: creates and seeds it on first use, and refuses a file it cannot use with one
 * line that says what to do, before any port reads a table that is not there. The causes are told apart:
 * the SQLite module not loading (reinstall), a file SQLite cannot open (permissions, locks), a file that is
 * not SQLite or is damaged, and a SQLite file that is not a lab of this version (delete or reset it).
 */
import { enableWal, requireSqliteModule, sqliteFailureOf } from "../../core/sqlite.ts";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { z } from "zod";
import { describeError, TriageError } from "../../core/errors.ts";
import { generateLab } from "./generate.ts";
import { LAB_DDL, LAB_SCHEMA_VERSION } from "./schema.ts";

export { createLabToolset } from "./ports.ts";

/** Every table the DDL creates, read from the DDL itself so a new table is checked without a second list. */
const LAB_TABLES = [...LAB_DDL.matchAll(/CREATE TABLE IF NOT EXISTS (\w+)/g)].flatMap((m) =>
  m[1] ? [m[1]] : [],
);

const nameRow = z.object({ name: z.string() });
const valueRow = z.object({ value: z.string() });

function notALab(path: string, reason: string): TriageError {
  // One line whatever the reason: SQLite messages are one line, but a reason is never trusted to be.
  const oneLine = reason.replace(/\s+/g, " ").trim();
  return new TriageError(
    "BAD_DATABASE",
    `${path} is not a soc-triage lab database: ${oneLine}; delete it or run \`triage lab reset\``,
  );
}

function tableNames(db: Database.Database): Set<string> {
  return new Set(
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((row) => nameRow.parse(row).name),
  );
}

/** Throws the reason the open database is not a lab of this version. */
function validate(db: Database.Database, path: string, present: Set<string>): void {
  if (!present.has("meta")) throw notALab(path, "it has no lab metadata");
  const version = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get();
  const found = version === undefined ? undefined : valueRow.parse(version).value;
  if (found !== String(LAB_SCHEMA_VERSION))
    throw notALab(path, `lab schema version ${found ?? "missing"}, expected ${LAB_SCHEMA_VERSION}`);
  const missing = LAB_TABLES.filter((table) => !present.has(table));
  if (missing.length > 0)
    throw notALab(path, `missing table${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`);
}

/**
 * One line for a lab file SQLite cannot open or read, with the advice that fits: delete a file that is not
 * a lab, but never one that is merely unreadable (permissions, a lock, a directory in its place).
 */
function unusable(path: string, error: unknown): TriageError {
  const failure = sqliteFailureOf(error);
  if (failure?.kind === "not_sqlite") return notALab(path, "it is not a SQLite file");
  if (failure?.kind === "corrupt") return notALab(path, `the SQLite file is damaged: ${failure.detail}`);
  return new TriageError(
    "BAD_DATABASE",
    `cannot open the lab database ${path}: ${failure?.detail ?? describeError(error)}`,
  );
}

/**
 * The lab database at `path`, generated from `seed` when the file is new or holds no tables. The caller
 * owns the handle and closes it.
 */
export function openLab(path: string, options: { seed: number }): Database.Database {
  requireSqliteModule(`the lab database ${path}`);
  if (path !== ":memory:") {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (error) {
      throw new TriageError(
        "BAD_DATABASE",
        `cannot create the lab database ${path}: its directory cannot be made (${describeError(error)})`,
      );
    }
  }
  let db: Database.Database;
  let empty: boolean;
  try {
    db = new Database(path);
  } catch (error) {
    throw unusable(path, error);
  }
  try {
    // Reading the schema is the first access to the file, so a file that is not SQLite fails here.
    db.pragma("busy_timeout = 5000");
    const present = tableNames(db);
    empty = present.size === 0;
    if (!empty) validate(db, path, present);
    // WAL lets a triage run read while another process acts; it cannot be switched inside a transaction.
    enableWal(db);
  } catch (error) {
    db.close();
    if (error instanceof TriageError) throw error;
    throw unusable(path, error);
  }
  if (!empty) return db;

  try {
    // Two processes may both find the file empty: the immediate transaction serialises them, and the
    // second finds the lab already written. generateLab's own transaction nests as a savepoint, and a
    // failure rolls everything back, leaving an empty file that the next run generates again.
    db.transaction(() => {
      if (tableNames(db).size === 0) generateLab(db, options);
    }).immediate();
    return db;
  } catch (error) {
    // The generator's failure is ours, not the user's file's: report it as it is.
    db.close();
    throw error;
  }
}
