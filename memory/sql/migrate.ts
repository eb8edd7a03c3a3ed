/**
 * Applies the numbered migrations through a driver, in one transaction. The version is read inside it:
 * two processes opening a new database at once would otherwise both see version 0 and apply the first
 * migration twice. On PostgreSQL the transaction's advisory lock makes the second wait, then find nothing
 * to do.
 */
import { z } from "zod";
import { TriageError } from "../../core/errors.ts";
import { LATEST_SCHEMA_VERSION, migrationSql, migrations, type Migration } from "../migrations.ts";
import type { SqlDriver } from "./driver.ts";

export const CREATE_SCHEMA_MIGRATIONS =
  "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";

export const INSERT_SCHEMA_MIGRATION =
  "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)";

export const versionRowSchema = z.object({ version: z.number().nullable() });

export function badDatabase(where: string, reason: string): TriageError {
  return new TriageError("BAD_DATABASE", `${where} is not a usable soc-triage case database: ${reason}`);
}

/** The migrations after `current`; a database from a newer soc-triage is refused with one line. */
export function pendingMigrations(current: number, where: string): readonly Migration[] {
  if (current > LATEST_SCHEMA_VERSION)
    throw badDatabase(
      where,
      `schema version ${current} is newer than this soc-triage knows (${LATEST_SCHEMA_VERSION}); upgrade soc-triage`,
    );
  return migrations.filter((m) => m.version > current);
}

/** Brings the database to the latest schema; returns the version it now has. */
export async function migrateDatabase(driver: SqlDriver): Promise<number> {
  return driver.transaction(async (tx) => {
    await tx.exec(CREATE_SCHEMA_MIGRATIONS);
    const current =
      versionRowSchema.parse(await tx.get("SELECT MAX(version) AS version FROM schema_migrations")).version ??
      0;
    for (const migration of pendingMigrations(current, driver.where)) {
      await tx.exec(migrationSql(migration, tx.dialect));
      await tx.run(INSERT_SCHEMA_MIGRATION, [migration.version, migration.name, new Date().toISOString()]);
    }
    return LATEST_SCHEMA_VERSION;
  });
}
