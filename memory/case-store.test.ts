import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isTriageError } from "../core/errors.ts";
import { SqliteCaseMemory } from "./case-store.ts";
import { openCaseDatabase } from "./db.ts";
import { migrations } from "./migrations.ts";

const scratch: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "soc-triage-memory-"));
  scratch.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

let clock = Date.parse("2026-11-10T12:00:00Z");
const now = () => new Date(clock);

describe("case database", () => {
  it("migrates once and reopens cleanly", () => {
    const path = join(tempDir(), "cases.db");
    openCaseDatabase(path).close();
    const db = openCaseDatabase(path);
    expect(db.prepare("SELECT COUNT(*) AS n FROM schema_migrations").get()).toEqual({ n: migrations.length });
    db.close();
  });

  it("refuses a file that is not a database with one line", () => {
    const path = join(tempDir(), "garbage.db");
    writeFileSync(path, "this is not sqlite ".repeat(100));
    try {
      openCaseDatabase(path);
      expect.unreachable();
    } catch (error) {
      expect(isTriageError(error) && error.code).toBe("BAD_DATABASE");
      expect(String(error instanceof Error ? error.message : error)).not.toContain("\n");
    }
  });
});

// The port's behaviour (lifecycle, recall, records, claims, leases) is proven by the contract suite:
// case-store.contract.test.ts. Here: what only the SQLite store has (migrations, the audit table's guards).
describe("audit log", () => {
  it("chains entries, refuses updates and deletes, and detects tampering", async () => {
    const db = openCaseDatabase(":memory:");
    const memory = new SqliteCaseMemory(db, { now });
    for (let i = 0; i < 5; i++) {
      clock += 1000;
      await memory.audit({ actor: "engine", event: `e${i}`, caseId: null, payload: { i } });
    }
    expect(await memory.verifyAudit()).toMatchObject({ ok: true, entries: 5, keyed: 5, legacy: 0 });
    expect(() => db.prepare("UPDATE audit_log SET event = 'x' WHERE seq = 2").run()).toThrow(/append-only/);
    expect(() => db.prepare("DELETE FROM audit_log WHERE seq = 2").run()).toThrow(/append-only/);
    db.exec("DROP TRIGGER audit_log_no_update");
    db.prepare("UPDATE audit_log SET payload = '{\"i\":99}' WHERE seq = 3").run();
    expect(await memory.verifyAudit()).toMatchObject({ ok: false, problem: "ALTERED", firstBadSeq: 3 });
  });
});
