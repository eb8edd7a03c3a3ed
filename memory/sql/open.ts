/**
 * Opens case memory's database by location: a `postgres://` or `postgresql://` URL is PostgreSQL, anything
 * else a SQLite file (the embedded default). Either way the schema is migrated before the driver is
 * returned, and a database that cannot be used is one TriageError BAD_DATABASE line.
 */
import { TriageError, describeError } from "../../core/errors.ts";
import { checkPostgresUrl, isPostgresUrl } from "./location.ts";
import { connectCaseDatabase } from "../db.ts";
import { badDatabase, migrateDatabase } from "./migrate.ts";
import { createPostgresDriver, type PostgresSqlDriver } from "./postgres-driver.ts";
import { createSqliteDriver, type SqliteSqlDriver } from "./sqlite-driver.ts";

export type CaseDatabaseDriver = SqliteSqlDriver | PostgresSqlDriver;

export interface OpenOptions {
  /** PostgreSQL only: clients in the pool. */
  maxConnections?: number;
  /** PostgreSQL only: how long to wait for the server. */
  connectTimeoutMs?: number;
}

/** A driver for `location`, not migrated (PostgreSQL connects on the first statement). */
export function connectCaseDatabaseDriver(location: string, options: OpenOptions = {}): CaseDatabaseDriver {
  return isPostgresUrl(location)
    ? createPostgresDriver(checkPostgresUrl(location), options)
    : createSqliteDriver(connectCaseDatabase(location), location);
}

/** The case database at `location`, migrated. */
export async function openCaseDatabaseDriver(
  location: string,
  options: OpenOptions = {},
): Promise<CaseDatabaseDriver> {
  const driver = connectCaseDatabaseDriver(location, options);
  try {
    await migrateDatabase(driver);
    return driver;
  } catch (error) {
    await driver.close().catch(() => undefined);
    if (error instanceof TriageError) throw error;
    throw badDatabase(driver.where, describeError(error));
  }
}
