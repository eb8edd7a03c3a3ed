import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isTriageError } from "../core/errors.ts";
import type { Alert, Verdict } from "../core/domain.ts";
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

const verdict = (disposition: "malicious" | "suspicious"): Verdict => ({
  disposition,
  confidence: 0.9,
  severity: "high",
  category: "credential_phishing",
  attack: [],
  summary: "x",
  rationale: [],
  evidenceIds: [],
  findingIds: [],
  reasoner: "offline",
});

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
    memory.saveVerdict(first, verdict("malicious"), []);
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
      expect.objectContaining({
        type: "domain",
        value: "evil.test",
        seenInCases: 1,
        confirmedMalicious: 0,
        unconfirmedMalicious: 1,
      }),
    ]);
    expect(related[0]).toMatchObject({ disposition: "malicious", confirmedBy: null });
  });

  it("tells a person's word (feedback, an approval) from the engine's own verdicts", () => {
    const memory = new SqliteCaseMemory(openCaseDatabase(":memory:"), { now });
    const url = { type: "url" as const, value: "https://evil.test/login", role: "url" };
    const open = (id: string) => memory.createCase(alert(id, [url]), { reasoner: "offline" });
    const [approved, corrected, unconfirmed, suspicious] = [
      open("A-1"),
      open("A-2"),
      open("A-3"),
      open("A-4"),
    ];
    for (const id of [approved, corrected, unconfirmed]) memory.saveVerdict(id, verdict("malicious"), []);
    memory.saveVerdict(suspicious, verdict("suspicious"), []);
    memory.recordApproval(approved, {
      approved: true,
      by: "bob",
      actionIds: ["a"],
      comment: "",
      at: now().toISOString(),
    });
    memory.recordFeedback(corrected, { disposition: "benign", by: "alice", comment: "newsletter" });
    const next = alert("A-5", [url]);
    const nextId = memory.createCase(next, { reasoner: "offline" });
    const { related, history } = memory.recall(nextId, next);
    expect(history).toEqual([
      {
        type: "url",
        value: url.value,
        seenInCases: 4,
        confirmedMalicious: 1,
        confirmedBenign: 1,
        confirmedBy: expect.arrayContaining(["alice", "bob"]),
        unconfirmedMalicious: 1,
        listed: null,
      },
    ]);
    const byAlert = new Map(related.map((r) => [r.alertId, r]));
    expect(byAlert.get("A-1")).toMatchObject({ analystDisposition: "malicious", confirmedBy: "bob" });
    expect(byAlert.get("A-2")).toMatchObject({ analystDisposition: "benign", confirmedBy: "alice" });
    expect(byAlert.get("A-3")).toMatchObject({ analystDisposition: null, confirmedBy: null });
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
    expect(memory.verifyAudit()).toMatchObject({ ok: true, entries: 5, keyed: 5, legacy: 0 });
    expect(() => db.prepare("UPDATE audit_log SET event = 'x' WHERE seq = 2").run()).toThrow(/append-only/);
    expect(() => db.prepare("DELETE FROM audit_log WHERE seq = 2").run()).toThrow(/append-only/);
    db.exec("DROP TRIGGER audit_log_no_update");
    db.prepare("UPDATE audit_log SET payload = '{\"i\":99}' WHERE seq = 3").run();
    expect(memory.verifyAudit()).toMatchObject({ ok: false, problem: "ALTERED", firstBadSeq: 3 });
  });
});
