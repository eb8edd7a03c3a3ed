/**
 * Opens the case database: WAL so readers never block the writer, a busy timeout so two processes
 * (CLI approve while a batch runs) wait rather than fail, and migrations applied in one transaction.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { TriageError } from "../core/errors.ts";
import { enableWal, requireSqliteModule } from "../core/sqlite.ts";
import { migrationSql } from "./migrations.ts";
import { describePostgresUrl, isPostgresUrl } from "./sql/location.ts";
import {
  CREATE_SCHEMA_MIGRATIONS,
  INSERT_SCHEMA_MIGRATION,
  badDatabase as bad,
  pendingMigrations,
  versionRowSchema,
} from "./sql/migrate.ts";

export type CaseDatabase = Database.Database;

function migrate(db: CaseDatabase, path: string): void {
  // Read the version inside the write transaction: two processes opening a new database at once would
  // otherwise both see version 0, and the second would apply the first migration again.
  db.transaction(() => {
    db.exec(CREATE_SCHEMA_MIGRATIONS);
    const current =
      versionRowSchema.parse(db.prepare("SELECT MAX(version) AS version FROM schema_migrations").get())
        .version ?? 0;
    for (const m of pendingMigrations(current, path)) {
      db.exec(migrationSql(m, "sqlite"));
      db.prepare(INSERT_SCHEMA_MIGRATION).run(m.version, m.name, new Date().toISOString());
    }
  }).immediate();
}

/** A SQLite connection set up for case memory (directory made, WAL, busy timeout, foreign keys), unmigrated. */
export function connectCaseDatabase(path: string): CaseDatabase {
  if (isPostgresUrl(path))
    throw bad(
      describePostgresUrl(path),
      "this command keeps case memory in a SQLite file (PostgreSQL goes through memory/sql/open.ts)",
    );
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
    // In WAL mode NORMAL syncs at checkpoints rather than at every COMMIT: a crash of the process loses
    // nothing, a power cut at most the last transactions, whole. Syncing at each of a case's dozen
    // commits was a third of its time. What must not be lost before the world acts on it (an action's
    // claim, the rows the audit head file vouches for) is synced first with driver.flush().
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    return db;
  } catch (error) {
    db.close();
    throw bad(path, error instanceof Error ? error.message : String(error));
  }
}

export function openCaseDatabase(path: string): CaseDatabase {
  const db = connectCaseDatabase(path);
  try {
    migrate(db, path);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof TriageError) throw error;
    throw bad(path, error instanceof Error ? error.message : String(error));
  }
}
