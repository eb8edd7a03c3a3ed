/**
 * The SQLite engine: one better-sqlite3 connection. Its calls are synchronous, but a transaction's work is
 * async and may yield between statements, so a mutex holds every other use of the connection (another
 * case's statements, another transaction, LangGraph's saver) until the transaction ends: two cases in one
 * process never interleave inside one transaction.
 */
import { closeSync, fsyncSync, openSync } from "node:fs";
import { resolve } from "node:path";
import type Database from "better-sqlite3";
import { createSqlDriver, type SqlDriver, type SqlValue } from "./driver.ts";
import { Mutex } from "./mutex.ts";

export interface SqliteSqlDriver extends SqlDriver {
  readonly dialect: "sqlite";
  /** The connection, for LangGraph's SqliteSaver: use it only inside serialized(). */
  readonly database: Database.Database;
  /** Runs `work` once no transaction holds the connection (at once when called inside one). */
  serialized<T>(work: () => T | Promise<T>): Promise<T>;
}

// Prepared statements are reused: case memory runs the same few dozen statements per case.
const MAX_CACHED_STATEMENTS = 256;

function bindable(params: readonly SqlValue[]): unknown[] {
  return params.map((value) =>
    value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value) : value,
  );
}

/**
 * One mutex per database file in this process. Two connections to one file (a second client in a test, a
 * store on its own connection) must not both hold a transaction: the second BEGIN IMMEDIATE would wait
 * synchronously for a lock that the first, stopped at an await on the same thread, can never release.
 */
const fileMutexes = new Map<string, { mutex: Mutex; users: number }>();

function fileMutex(file: string): { mutex: Mutex; release(): void } {
  if (file === "" || file === ":memory:") return { mutex: new Mutex(), release: () => undefined };
  const key = resolve(file);
  const shared = fileMutexes.get(key) ?? { mutex: new Mutex(), users: 0 };
  shared.users++;
  fileMutexes.set(key, shared);
  let released = false;
  return {
    mutex: shared.mutex,
    release: () => {
      if (released) return;
      released = true;
      if (--shared.users === 0) fileMutexes.delete(key);
    },
  };
}

/** A driver over an open connection; close() closes it. */
export function createSqliteDriver(database: Database.Database, where: string): SqliteSqlDriver {
  const { mutex, release } = fileMutex(database.name);
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      if (statements.size >= MAX_CACHED_STATEMENTS) statements.clear();
      statement = database.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const driver = createSqlDriver<Database.Database>({
    dialect: "sqlite",
    where,
    outside: (use) => mutex.lock(() => use(database)),
    inTransaction: (use) =>
      mutex.lock(async () => {
        // IMMEDIATE takes the write lock at once, so a read-then-write never races another process.
        database.exec("BEGIN IMMEDIATE");
        try {
          const result = await use(database);
          database.exec("COMMIT");
          return result;
        } catch (error) {
          if (database.inTransaction) database.exec("ROLLBACK");
          throw error;
        }
      }),
    all: async (db, sql, params) => {
      const statement = prepare(sql);
      if (!statement.reader) {
        statement.run(...bindable(params));
        return [];
      }
      // better-sqlite3 returns plain objects; the caller parses them.
      return statement.all(...bindable(params)).filter(isRow);
    },
    run: async (db, sql, params) => ({ changes: prepare(sql).run(...bindable(params)).changes }),
    exec: async (db, script) => void db.exec(script),
    flush: async () => syncWal(database),
    close: async () => {
      // Wait for a transaction in flight rather than cut it off.
      await mutex.lock(async () => database.close());
      release();
    },
  });
  return {
    ...driver,
    dialect: "sqlite",
    database,
    serialized: (work) => (driver.inTransaction() ? Promise.resolve(work()) : mutex.lock(async () => work())),
  };
}

/**
 * Puts the write-ahead log's committed frames on stable storage. Case memory runs WAL at
 * synchronous=NORMAL (memory/db.ts): a COMMIT is written to the log but not synced, which a crashed
 * process cannot lose, and which a power cut can only lose from the end, whole transactions at a time.
 * fsync covers the file, whichever descriptor wrote it. No log file (an in-memory database, or a
 * connection not in WAL mode, which syncs at each COMMIT) needs nothing.
 */
function syncWal(database: Database.Database): void {
  if (database.memory || database.name === "") return;
  let fd: number;
  try {
    fd = openSync(`${database.name}-wal`, "r+");
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") return;
    throw error;
  }
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function isRow(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
