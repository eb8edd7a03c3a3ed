/**
 * Opens case memory's database by location: a `postgres://` or `postgresql://` URL is PostgreSQL, anything
 * else a SQLite file (the embedded default). Either way the schema is migrated before the driver is
 * returned, and a database that cannot be used is one TriageError BAD_DATABASE line.
 */
import { TriageError, describeError } from "../../core/errors.ts";
import { checkPostgresUrl, isPostgresUrl } from "./location.ts";
import { connectCaseDatabase } from "../db.ts";
import { badDatabase, migrateDatabase } from "./migrate.ts";
import type { PostgresSqlDriver } from "./postgres-driver.ts";
import { createSqliteDriver, type SqliteSqlDriver } from "./sqlite-driver.ts";

export type CaseDatabaseDriver = SqliteSqlDriver | PostgresSqlDriver;

export interface OpenOptions {
  /** PostgreSQL only: clients in the pool. */
  maxConnections?: number;
  /** PostgreSQL only: how long to wait for the server. */
  connectTimeoutMs?: number;
}

/**
 * A driver for `location`, not migrated (PostgreSQL connects on the first statement). The PostgreSQL
 * client loads only for a PostgreSQL location, so a SQLite deployment's CLI never pays for it.
 */
export async function connectCaseDatabaseDriver(
  location: string,
  options: OpenOptions = {},
): Promise<CaseDatabaseDriver> {
  if (!isPostgresUrl(location)) return createSqliteDriver(connectCaseDatabase(location), location);
  const { createPostgresDriver } = await import("./postgres-driver.ts");
  return createPostgresDriver(checkPostgresUrl(location), options);
}

/** The case database at `location`, migrated. */
export async function openCaseDatabaseDriver(
  location: string,
  options: OpenOptions = {},
): Promise<CaseDatabaseDriver> {
  const driver = await connectCaseDatabaseDriver(location, options);
  try {
    await migrateDatabase(driver);
    return driver;
  } catch (error) {
    await driver.close().catch(() => undefined);
    if (error instanceof TriageError) throw error;
    throw badDatabase(driver.where, describeError(error));
  }
}
