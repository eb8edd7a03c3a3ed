import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isTriageError } from "../tools/errors.ts";
import type { Alert } from "../tools/types.ts";
import { SqliteCaseMemory, verifyAuditLog } from "./case-store.ts";
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

function alert(id: string, observables: Alert["observables"]): Alert {
  return {
    id,
    source: "lab",
    family: "email",
    type: "user_reported_phish",
    title: `alert ${id}`,
    description: "",
    severity: "medium",
    createdAt: now().toISOString(),
    observables,
    raw: {},
  };
}

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

describe("SqliteCaseMemory", () => {
  it("records a case's life: verdict, status, list and feedback", () => {
    const memory = new SqliteCaseMemory(openCaseDatabase(":memory:"), { now });
    const caseId = memory.createCase(alert("A-1", []), { reasoner: "offline" });
    memory.saveVerdict(
      caseId,
      {
        disposition: "malicious",
        confidence: 0.97,
        severity: "high",
        category: "credential_phishing",
        attack: [],
        summary: "x",
        rationale: [],
        evidenceIds: ["ev-alert"],
        findingIds: [],
        reasoner: "offline",
      },
      [],
    );
    memory.setStatus(caseId, "closed");
    expect(memory.listCases()).toEqual([
      expect.objectContaining({
        caseId,
        alertId: "A-1",
        disposition: "malicious",
        confidence: 0.97,
        status: "closed",
      }),
    ]);
    memory.recordFeedback(caseId, { disposition: "benign", by: "ana", comment: "simulation" });
    expect(() =>
      memory.recordFeedback("case-nope", { disposition: "benign", by: "ana", comment: "" }),
    ).toThrow(/no case/);
  });

  it("recalls related cases by shared threat observables, not by the people involved", () => {
    const memory = new SqliteCaseMemory(openCaseDatabase(":memory:"), { now });
    const first = memory.createCase(
      alert("A-1", [
        { type: "domain", value: "evil.test", role: "sender" },
        { type: "email", value: "ann@corp.test", role: "reporter" },
      ]),
      { reasoner: "offline" },
    );
    memory.saveVerdict(
      first,
      {
        disposition: "malicious",
        confidence: 0.9,
        severity: "high",
        category: "bec",
        attack: [],
        summary: "x",
        rationale: [],
        evidenceIds: [],
        findingIds: [],
        reasoner: "offline",
      },
      [],
    );
    memory.createCase(alert("A-2", [{ type: "email", value: "ann@corp.test", role: "reporter" }]), {
      reasoner: "offline",
    });
    const third = alert("A-3", [
      { type: "domain", value: "EVIL.test", role: "sender" },
      { type: "email", value: "ann@corp.test", role: "reporter" },
    ]);
    const thirdId = memory.createCase(third, { reasoner: "offline" });
    const { related, history } = memory.recall(thirdId, third);
    expect(related.map((r) => r.alertId)).toEqual(["A-1"]);
    expect(history).toEqual([
      expect.objectContaining({ type: "domain", value: "evil.test", seenInCases: 1, maliciousCases: 1 }),
    ]);
  });

  it("claims an action exactly once, across two connections to one file", () => {
    const path = join(tempDir(), "cases.db");
    const a = new SqliteCaseMemory(openCaseDatabase(path), { now });
    const b = new SqliteCaseMemory(openCaseDatabase(path), { now });
    const caseId = a.createCase(alert("A-1", []), { reasoner: "offline" });
    expect(a.claimAction(caseId, "act-1", "key-1")).toEqual({ claimed: true });
    expect(b.claimAction(caseId, "act-1", "key-1")).toEqual({
      claimed: false,
      status: "started",
      detail: "",
      caseId,
    });
    b.completeAction(caseId, {
      actionId: "act-1",
      status: "executed",
      idempotencyKey: "key-1",
      detail: "done",
      at: now().toISOString(),
    });
    expect(a.claimAction(caseId, "act-1", "key-1")).toEqual({
      claimed: false,
      status: "executed",
      detail: "done",
      caseId,
    });
  });

  it("counts executions of a type inside the window only", () => {
    const memory = new SqliteCaseMemory(openCaseDatabase(":memory:"), { now });
    const caseId = memory.createCase(alert("A-1", []), { reasoner: "offline" });
    const action = {
      id: "act-1",
      type: "isolate_host" as const,
      target: "WS-1",
      targetKind: "host" as const,
      reason: "",
      blastRadius: 1,
      targetTags: [],
      params: {},
      evidenceIds: [],
    };
    memory.saveActions(caseId, [action], []);
    memory.claimAction(caseId, "act-1", "k");
    memory.completeAction(caseId, {
      actionId: "act-1",
      status: "executed",
      idempotencyKey: "k",
      detail: "",
      at: now().toISOString(),
    });
    expect(memory.countExecutions("isolate_host", new Date(clock - 60_000))).toBe(1);
    expect(memory.countExecutions("isolate_host", new Date(clock + 60_000))).toBe(0);
    expect(memory.countExecutions("disable_user", new Date(0))).toBe(0);
  });
});

describe("audit log", () => {
  it("chains entries, refuses updates and deletes, and detects tampering", () => {
    const db = openCaseDatabase(":memory:");
    const memory = new SqliteCaseMemory(db, { now });
    for (let i = 0; i < 5; i++) {
      clock += 1000;
      memory.audit({ actor: "engine", event: `e${i}`, caseId: null, payload: { i } });
    }
    expect(verifyAuditLog(db)).toEqual({ ok: true, entries: 5 });
    expect(() => db.prepare("UPDATE audit_log SET event = 'x' WHERE seq = 2").run()).toThrow(/append-only/);
    expect(() => db.prepare("DELETE FROM audit_log WHERE seq = 2").run()).toThrow(/append-only/);
    db.exec("DROP TRIGGER audit_log_no_update");
    db.prepare("UPDATE audit_log SET payload = '{\"i\":99}' WHERE seq = 3").run();
    expect(verifyAuditLog(db)).toMatchObject({ ok: false, firstBadSeq: 3 });
  });
});
