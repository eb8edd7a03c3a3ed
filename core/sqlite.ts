/** SQLite set-up shared by case memory and the lab. */
import Database from "better-sqlite3";

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

/** Another connection held the database past the busy timeout: worth trying again later, unlike other errors. */
export function isSqliteBusy(error: unknown): boolean {
  return error instanceof Database.SqliteError && error.code === "SQLITE_BUSY";
}
