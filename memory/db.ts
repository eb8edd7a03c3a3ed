/**
 * Opens the case database: WAL so readers never block the writer, a busy timeout so two processes
 * (CLI approve while a batch runs) wait rather than fail, and migrations applied in one transaction.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { z } from "zod";
import { TriageError } from "../core/errors.ts";
import { enableWal, requireSqliteModule } from "../core/sqlite.ts";
import { LATEST_SCHEMA_VERSION, migrations } from "./migrations.ts";

export type CaseDatabase = Database.Database;

const versionRowSchema = z.object({ version: z.number().nullable() });

function bad(path: string, reason: string): TriageError {
  return new TriageError("BAD_DATABASE", `${path} is not a usable soc-triage case database: ${reason}`);
}

function migrate(db: CaseDatabase, path: string): void {
  // Read the version inside the write transaction: two processes opening a new database at once would
  // otherwise both see version 0, and the second would apply the first migration again.
  db.transaction(() => {
    db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    );
    const current =
      versionRowSchema.parse(db.prepare("SELECT MAX(version) AS version FROM schema_migrations").get())
        .version ?? 0;
    if (current > LATEST_SCHEMA_VERSION)
      throw bad(
        path,
        `schema version ${current} is newer than this soc-triage knows (${LATEST_SCHEMA_VERSION}); upgrade soc-triage`,
      );
    for (const m of migrations.filter((m) => m.version > current)) {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
    }
  }).immediate();
}

export function openCaseDatabase(path: string): CaseDatabase {
  requireSqliteModule(`the case database ${path}`);
  if (path !== ":memory:") {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (error) {
      throw bad(
        path,
        `cannot create its directory (${error instanceof Error ? error.message : String(error)})`,
      );
    }
  }
  let db: CaseDatabase;
  try {
    db = new Database(path);
  } catch (error) {
    throw bad(path, error instanceof Error ? error.message : String(error));
  }
  try {
    db.pragma("busy_timeout = 5000");
    enableWal(db);
    db.pragma("foreign_keys = ON");
    migrate(db, path);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof TriageError) throw error;
    throw bad(path, error instanceof Error ? error.message : String(error));
  }
}
