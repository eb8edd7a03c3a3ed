/** SQLite set-up shared by case memory and the lab. */
import Database from "better-sqlite3";
import { describeError, TriageError } from "./errors.ts";

/**
 * Switches a connection to WAL, so readers never block the writer. Switching a new file answers
 * SQLITE_BUSY at once, without the busy handler, while another process is switching it too (two batches
 * starting on a fresh database), so that one pragma is retried for up to `timeoutMs`.
 */
export function enableWal(db: Database.Database, timeoutMs = 5000): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      db.pragma("journal_mode = WAL");
      return;
    } catch (error) {
      if (!isSqliteBusy(error) || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

/** Why a SQLite file could not be opened or read: each cause needs different advice. */
export interface SqliteFailure {
  /** not_sqlite: some other kind of file; corrupt: a damaged SQLite file; unreadable: permissions, a directory, a lock, I/O. */
  kind: "not_sqlite" | "corrupt" | "unreadable";
  detail: string;
}

/** A SQLite error on a file, told apart by SQLite's result code (never by its message); null for any other error. */
export function sqliteFailureOf(error: unknown): SqliteFailure | null {
  if (!(error instanceof Database.SqliteError)) return null;
  const detail = `${describeError(error)} (${error.code})`;
  if (error.code === "SQLITE_NOTADB") return { kind: "not_sqlite", detail };
  if (error.code.startsWith("SQLITE_CORRUPT")) return { kind: "corrupt", detail };
  return { kind: "unreadable", detail };
}

/**
 * Throws INTERNAL, one line, when better-sqlite3's compiled module cannot load (built for another Node
 * version, missing): the installation's fault, so no file is blamed. Tried on an in-memory database.
 * `nativeBinding` is better-sqlite3's own option, the compiled module's path (tests point it at nothing).
 */
export function requireSqliteModule(opening: string, nativeBinding?: string): void {
  try {
    new Database(":memory:", nativeBinding === undefined ? {} : { nativeBinding }).close();
  } catch (error) {
    throw new TriageError(
      "INTERNAL",
      `cannot open ${opening}: the SQLite module (better-sqlite3) did not load: ${describeError(error)}; reinstall it with \`npm rebuild better-sqlite3\``,
    );
  }
}

/** Another connection held the database past the busy timeout: worth trying again later, unlike other errors. */
export function isSqliteBusy(error: unknown): boolean {
  return error instanceof Database.SqliteError && error.code === "SQLITE_BUSY";
}
