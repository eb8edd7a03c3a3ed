/**
 * What case memory puts on stable storage, and when. SQLite runs WAL at synchronous=NORMAL (a COMMIT is
 * not synced), so whatever the world acts on is flushed first: an action's claim before its side effect,
 * and the audit rows before the head file vouches for them.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Alert } from "../core/domain.ts";
import { SqliteCaseMemory } from "./case-store.ts";
import { openCaseDatabase } from "./db.ts";
import { createSqliteDriver } from "./sql/sqlite-driver.ts";

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function databasePath(): string {
  const dir = mkdtempSync(join(tmpdir(), "soc-triage-durability-"));
  scratch.push(dir);
  return join(dir, "cases.db");
}

const alert: Alert = {
  id: "A-1",
  source: "lab",
  family: "email",
  type: "user_reported_phish",
  title: "t",
  description: "",
  severity: "low",
  createdAt: "2026-11-10T12:00:00.000Z",
  observables: [],
  raw: {},
};
const now = () => new Date("2026-11-10T12:00:00Z");
const startedSchema = z.object({ status: z.string() });

/** Case memory whose driver records each flush, with what another connection could read at that moment. */
function flushWatched(path: string, atFlush: () => string) {
  const db = openCaseDatabase(path);
  const driver = createSqliteDriver(db, path);
  const seen: string[] = [];
  const watched = {
    ...driver,
    flush: async () => {
      seen.push(atFlush());
      await driver.flush();
    },
  };
  return { memory: new SqliteCaseMemory(db, { now, driver: watched }), seen, close: () => driver.close() };
}

describe("durability of case memory on SQLite", () => {
  it("opens the case database in WAL mode at synchronous=NORMAL", () => {
    const db = openCaseDatabase(databasePath());
    try {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.pragma("synchronous", { simple: true })).toBe(1);
    } finally {
      db.close();
    }
  });

  it("flushes an action's claim after it commits and before claimAction returns, unless a dry run", async () => {
    const path = databasePath();
    const other = () => {
      const reader = new Database(path, { readonly: true });
      try {
        const row = reader.prepare("SELECT status FROM action_runs WHERE idempotency_key = 'key-1'").get();
        return row === undefined ? "no claim" : startedSchema.parse(row).status;
      } finally {
        reader.close();
      }
    };
    const { memory, seen, close } = flushWatched(path, other);
    try {
      const caseId = await memory.createCase(alert, { reasoner: "offline" });
      seen.length = 0;
      expect(await memory.claimAction(caseId, "act-1", "key-1")).toEqual({ claimed: true });
      // Committed (another connection sees it) when the flush runs.
      expect(seen).toEqual(["started"]);
      // Taken already: nothing new to make durable.
      expect((await memory.claimAction(caseId, "act-1", "key-1")).claimed).toBe(false);
      expect(await memory.claimAction(caseId, "act-2", "key-2", undefined, { durable: false })).toEqual({
        claimed: true,
      });
      expect(seen).toEqual(["started"]);
    } finally {
      await close();
    }
  });

  it("flushes the audit rows before the head file moves over them", async () => {
    const path = databasePath();
    const head = `${path}.audit-head`;
    const { memory, seen, close } = flushWatched(path, () =>
      existsSync(head) ? readFileSync(head, "utf8") : "none",
    );
    try {
      await memory.audit({ actor: "engine", event: "e1", caseId: null, payload: {} });
      await memory.settled();
      const before = readFileSync(head, "utf8");
      seen.length = 0;
      await memory.audit({ actor: "engine", event: "e2", caseId: null, payload: {} });
      await memory.settled();
      // The flush saw the old head: the rows were synced before the head file named them.
      expect(seen).toEqual([before]);
      expect(readFileSync(head, "utf8")).not.toBe(before);
      expect(await memory.verifyAudit()).toMatchObject({ ok: true, entries: 2 });
    } finally {
      await close();
    }
  });

  it("flush succeeds on a file database, in memory, and before the write-ahead log exists", async () => {
    const onFile = createSqliteDriver(openCaseDatabase(databasePath()), "file");
    await onFile.run("CREATE TABLE t (x INTEGER)");
    await onFile.run("INSERT INTO t VALUES (1)");
    await expect(onFile.flush()).resolves.toBeUndefined();
    await onFile.close();
    const inMemory = createSqliteDriver(new Database(":memory:"), ":memory:");
    await expect(inMemory.flush()).resolves.toBeUndefined();
    await inMemory.close();
    const noWal = createSqliteDriver(new Database(databasePath()), "rollback journal");
    await expect(noWal.flush()).resolves.toBeUndefined();
    await noWal.close();
  });
});
