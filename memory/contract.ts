/**
 * The CaseMemory contract: what every implementation of the port (SQLite here, PostgreSQL in #14) must do,
 * run through the port alone. An implementation's test calls describeCaseMemoryContract with a factory
 * that opens a fresh, empty store on the suite's clock.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ActionResult, Alert, AuditEntry, Observable, ProposedAction, Verdict } from "../core/domain.ts";
import { isTriageError } from "../core/errors.ts";
import type { CaseMemory } from "../core/ports.ts";

/** One fresh store, opened by the implementation under test. */
export interface CaseMemoryStore {
  memory: CaseMemory;
  /** A second client of the same store (another process's connection), to race the first. */
  another(): Promise<CaseMemory>;
  /** The audit log's rows in order, read the implementation's own way. */
  auditRows(): Promise<Array<Pick<AuditEntry, "event" | "caseId">>>;
  close(): Promise<void>;
}

/** Opens an empty store whose clock is `now`. */
export type OpenCaseMemory = (now: () => Date) => Promise<CaseMemoryStore>;

const DAY = 86_400_000;
const LEASE = 60_000;
/** An owner on another host: never judged dead by its pid, only by its lease. */
const remoteOwner = (n: number) => `elsewhere.example:${n}:abc123`;

function alertOf(id: string, observables: Observable[], at: Date): Alert {
  return {
    id,
    source: "contract",
    family: "email",
    type: "user_reported_phish",
    title: `alert ${id}`,
    description: "",
    severity: "medium",
    createdAt: at.toISOString(),
    observables,
    raw: {},
  };
}

function verdictOf(disposition: Verdict["disposition"], failedTools?: string[]): Verdict {
  return {
    disposition,
    confidence: 0.9,
    severity: "high",
    category: "credential_phishing",
    attack: [],
    summary: "contract",
    rationale: [],
    evidenceIds: ["ev-alert"],
    findingIds: [],
    reasoner: "offline",
    ...(failedTools ? { incomplete: { failedTools, reasons: ["tools failed"] } } : {}),
  };
}

const isolate: ProposedAction = {
  id: "act-1",
  type: "isolate_host",
  target: "WS-1",
  targetKind: "host",
  reason: "contract",
  blastRadius: 1,
  targetTags: [],
  params: {},
  evidenceIds: [],
};

const row = (event: string, caseId: string | null, payload: Record<string, unknown> = {}): AuditEntry => ({
  actor: "engine",
  event,
  caseId,
  payload,
});

async function rejectionCode(promise: Promise<unknown>): Promise<string | null> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  return isTriageError(error) ? error.code : null;
}

/** Runs the CaseMemory contract against the stores `open` makes. */
export function describeCaseMemoryContract(name: string, open: OpenCaseMemory): void {
  describe(`CaseMemory contract: ${name}`, () => {
    let clock = Date.parse("2026-11-10T12:00:00Z");
    const now = () => new Date(clock);
    const stores: CaseMemoryStore[] = [];
    const fresh = async () => {
      clock = Date.parse("2026-11-10T12:00:00Z");
      const store = await open(now);
      stores.push(store);
      return store;
    };
    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close();
    });
    const opened = (memory: CaseMemory, id: string, observables: Observable[] = [], owner?: string) =>
      memory.createCase(alertOf(id, observables, now()), {
        reasoner: "offline",
        dryRun: false,
        ...(owner ? { owner, leaseMs: LEASE } : {}),
      });

    it("opens a case with its alert and audit row, lists newest first, and filters by status", async () => {
      const { memory, auditRows } = await fresh();
      const alert = alertOf("A-1", [], now());
      const first = await memory.createCase(alert, { reasoner: "offline", dryRun: false }, (caseId) =>
        row("case.created", caseId),
      );
      clock += 1000;
      const second = await opened(memory, "A-2");
      expect(await memory.getCase(first)).toMatchObject({
        caseId: first,
        alertId: "A-1",
        family: "email",
        status: "investigating",
        disposition: null,
        confidence: null,
        supersededBy: null,
        incomplete: null,
      });
      expect(await memory.openedWith(first)).toEqual({
        alert: alert,
        dryRun: false,
      });
      expect((await memory.listCases()).map((c) => c.caseId)).toEqual([second, first]);
      expect((await memory.listCases({ limit: 1 })).map((c) => c.caseId)).toEqual([second]);
      await memory.setStatus(first, "closed", {}, row("case.closed", first));
      expect((await memory.listCases({ status: "closed" })).map((c) => c.caseId)).toEqual([first]);
      await memory.setStatus(second, "failed", { error: "boom" });
      expect(await memory.getCase(second)).toMatchObject({ status: "failed", error: "boom" });
      expect(await auditRows()).toEqual([
        { event: "case.created", caseId: first },
        { event: "case.closed", caseId: first },
      ]);
    });

    it("rejects an unknown case with NOT_FOUND, for reads and feedback alike", async () => {
      const { memory } = await fresh();
      expect(await rejectionCode(memory.getCase("case-nope"))).toBe("NOT_FOUND");
      const feedback = { disposition: "benign" as const, by: "ana", comment: "" };
      expect(await rejectionCode(memory.recordFeedback("case-nope", feedback))).toBe("NOT_FOUND");
    });

    it("stores evidence, a verdict on the case summary, actions and the latest approval", async () => {
      const { memory, auditRows } = await fresh();
      const caseId = await opened(memory, "A-1");
      const evidence = {
        id: "ev-1",
        tool: "siem",
        args: {},
        summary: "s",
        data: { n: 1 },
        collectedAt: now().toISOString(),
      };
      const step = {
        round: 1,
        tool: "siem",
        args: {},
        evidenceId: "ev-1",
        ok: true,
        summary: "s",
        durationMs: 3,
      };
      await memory.addEvidence(caseId, [evidence], [step], row("evidence.added", caseId));
      await memory.addEvidence(caseId, [evidence], [step]);
      await memory.saveVerdict(caseId, verdictOf("malicious", ["edr"]), [], row("verdict.assessed", caseId));
      expect(await memory.getCase(caseId)).toMatchObject({
        disposition: "malicious",
        confidence: 0.9,
        incomplete: ["edr"],
      });
      await memory.saveActions(
        caseId,
        [isolate],
        [],
        [row("action.proposed", caseId), row("policy.decided", caseId)],
      );
      expect(await memory.latestApproval(caseId)).toBeNull();
      const approval = (by: string, approved: boolean) => ({
        approved,
        by,
        actionIds: ["act-1"],
        comment: "",
        at: now().toISOString(),
      });
      await memory.recordApproval(caseId, approval("bob", false));
      clock += 1000;
      await memory.recordApproval(caseId, approval("carol", true), row("approval.granted", caseId));
      expect(await memory.latestApproval(caseId)).toEqual(approval("carol", true));
      expect((await auditRows()).map((r) => r.event)).toEqual([
        "evidence.added",
        "verdict.assessed",
        "action.proposed",
        "policy.decided",
        "approval.granted",
      ]);
    });

    it("keeps a closed case's report in place of its checkpoints, and gives it back as it was", async () => {
      const { memory } = await fresh();
      const caseId = await opened(memory, "A-1");
      expect(await memory.closedReport(caseId)).toBeNull();
      const report = { caseId, status: "closed", evidence: [{ id: "ev-1", summary: "é ✓" }], approval: null };
      await memory.pruneCheckpoints(caseId, report);
      expect(await memory.closedReport(caseId)).toEqual(report);
      await memory.pruneCheckpoints(caseId, { ...report, notes: ["again"] });
      expect(await memory.closedReport(caseId)).toEqual({ ...report, notes: ["again"] });
    });

    it("recalls related cases by shared threat observables (any case), not by the people involved", async () => {
      const { memory } = await fresh();
      const domain: Observable = { type: "domain", value: "evil.test", role: "sender" };
      const reporter: Observable = { type: "email", value: "ann@corp.test", role: "reporter" };
      const old = await opened(memory, "A-0", [domain]);
      clock += 31 * DAY;
      const first = await opened(memory, "A-1", [domain, reporter]);
      await memory.saveVerdict(first, verdictOf("malicious"), []);
      await opened(memory, "A-2", [reporter]);
      clock += 1000;
      const alert = alertOf("A-1", [{ ...domain, value: "EVIL.test" }, reporter], now());
      const caseId = await memory.createCase(alert, { reasoner: "offline" });
      const { related, history } = await memory.recall(caseId, alert);
      // The 31-day-old case is past recall's window, but still counts in the observable's history.
      expect(related).toEqual([
        expect.objectContaining({
          caseId: first,
          alertId: "A-1",
          disposition: "malicious",
          analystDisposition: null,
          confirmedBy: null,
          sharedObservables: [{ type: "domain", value: "evil.test" }],
          duplicate: true,
        }),
      ]);
      expect(related.some((r) => r.caseId === old)).toBe(false);
      expect(history).toEqual([
        {
          type: "domain",
          value: "evil.test",
          seenInCases: 2,
          confirmedMalicious: 0,
          confirmedBenign: 0,
          confirmedBy: [],
          unconfirmedMalicious: 1,
          listed: null,
        },
      ]);
    });

    it("counts a person's word: the latest feedback, or an approval of a malicious verdict", async () => {
      const { memory, auditRows } = await fresh();
      const url: Observable = { type: "url", value: "https://evil.test/login", role: "url" };
      const [approved, corrected] = [await opened(memory, "A-1", [url]), await opened(memory, "A-2", [url])];
      for (const id of [approved, corrected]) await memory.saveVerdict(id, verdictOf("malicious"), []);
      await memory.recordApproval(approved, {
        approved: true,
        by: "bob",
        actionIds: [],
        comment: "",
        at: now().toISOString(),
      });
      await memory.recordFeedback(corrected, { disposition: "malicious", by: "alice", comment: "" });
      clock += 1000;
      await memory.recordFeedback(corrected, { disposition: "benign", by: "alice", comment: "newsletter" });
      const next = alertOf("A-3", [url], now());
      const { related, history } = await memory.recall(
        await memory.createCase(next, { reasoner: "offline" }),
        next,
      );
      expect(history[0]).toMatchObject({
        seenInCases: 2,
        confirmedMalicious: 1,
        confirmedBenign: 1,
        unconfirmedMalicious: 0,
      });
      expect([...(history[0]?.confirmedBy ?? [])].sort()).toEqual(["alice", "bob"]);
      const byAlert = new Map(related.map((r) => [r.alertId, r]));
      expect(byAlert.get("A-1")).toMatchObject({ analystDisposition: "malicious", confirmedBy: "bob" });
      expect(byAlert.get("A-2")).toMatchObject({ analystDisposition: "benign", confirmedBy: "alice" });
      expect((await auditRows()).map((r) => r.event)).toEqual(["case.feedback", "case.feedback"]);
    });

    it("claims an action exactly once among racing clients, with one audit row, and reports the earlier attempt", async () => {
      const store = await fresh();
      const clients = [store.memory, await store.another(), await store.another()];
      const caseId = await opened(store.memory, "A-1");
      const claims = await Promise.all(
        clients.map((m, i) => m.claimAction(caseId, "act-1", "key-1", row(`action.started.${i}`, caseId))),
      );
      expect(claims.filter((c) => c.claimed)).toHaveLength(1);
      expect(claims.filter((c) => !c.claimed)).toEqual([
        { claimed: false, status: "started", detail: "", caseId },
        { claimed: false, status: "started", detail: "", caseId },
      ]);
      expect((await store.auditRows()).filter((r) => r.event.startsWith("action.started"))).toHaveLength(1);
      const done: ActionResult = {
        actionId: "act-1",
        status: "executed",
        idempotencyKey: "key-1",
        detail: "done",
        at: now().toISOString(),
      };
      await clients[1]?.completeAction(caseId, done, row("action.executed", caseId));
      expect(await store.memory.claimAction(caseId, "act-1", "key-1")).toEqual({
        claimed: false,
        status: "executed",
        detail: "done",
        caseId,
      });
    });

    it("lists runs left started once their case is not being worked on, with the proposed action", async () => {
      const { memory } = await fresh();
      const caseId = await opened(memory, "A-1");
      await memory.saveActions(caseId, [isolate], []);
      await memory.claimAction(caseId, "act-1", "key-1");
      expect(await memory.startedRuns()).toEqual([]);
      await memory.setStatus(caseId, "awaiting_approval");
      expect(await memory.startedRuns()).toEqual([
        { idempotencyKey: "key-1", caseId, actionId: "act-1", action: isolate },
      ]);
    });

    it("counts executions of a type inside the window only", async () => {
      const { memory } = await fresh();
      const caseId = await opened(memory, "A-1");
      await memory.saveActions(caseId, [isolate], []);
      await memory.claimAction(caseId, "act-1", "k");
      await memory.completeAction(caseId, {
        actionId: "act-1",
        status: "executed",
        idempotencyKey: "k",
        detail: "",
        at: now().toISOString(),
      });
      expect(await memory.countExecutions("isolate_host", new Date(clock - 60_000))).toBe(1);
      expect(await memory.countExecutions("isolate_host", new Date(clock + 60_000))).toBe(0);
      expect(await memory.countExecutions("disable_user", new Date(0))).toBe(0);
    });

    it("orphans a case once its lease passed; exactly one racing taker gets it, with its approval and audit row", async () => {
      const store = await fresh();
      const { memory } = store;
      const caseId = await opened(memory, "A-1", [], remoteOwner(1));
      expect(await memory.orphanedCases()).toEqual([]);
      clock += LEASE + 1;
      expect(await memory.orphanedCases()).toEqual([{ caseId, alertId: "A-1" }]);
      expect(await memory.orphanedCases("A-2")).toEqual([]);
      const clients = [memory, await store.another()];
      const took = await Promise.all(
        clients.map((m, i) =>
          m.takeCase(caseId, remoteOwner(10 + i), LEASE, {
            statuses: [],
            approval: {
              approved: true,
              by: `taker ${i}`,
              actionIds: [],
              comment: "",
              at: now().toISOString(),
            },
            audit: row(`case.taken.${i}`, caseId),
          }),
        ),
      );
      expect(took.filter(Boolean)).toHaveLength(1);
      const winner = took.indexOf(true);
      expect(await memory.latestApproval(caseId)).toMatchObject({ by: `taker ${winner}` });
      expect((await store.auditRows()).map((r) => r.event)).toEqual([`case.taken.${winner}`]);
      expect(await memory.orphanedCases()).toEqual([]);
      // A case in one of the given statuses is taken whoever held it; a released case is no one's.
      await memory.setStatus(caseId, "awaiting_approval");
      await memory.releaseCase(caseId, remoteOwner(10 + winner));
      expect(await memory.takeCase(caseId, remoteOwner(3), LEASE, { statuses: ["closed"] })).toBe(false);
      expect(await memory.takeCase(caseId, remoteOwner(3), LEASE, { statuses: ["awaiting_approval"] })).toBe(
        true,
      );
      expect(await memory.getCase(caseId)).toMatchObject({ status: "investigating" });
    });

    it("keeps a case while its heartbeat runs", async () => {
      const { memory } = await fresh();
      const owner = remoteOwner(1);
      const caseId = await memory.createCase(alertOf("A-1", [], now()), {
        reasoner: "offline",
        owner,
        leaseMs: 150,
      });
      const stop = memory.heartbeat(caseId, owner, 150);
      clock += 120;
      await new Promise((resolve) => setTimeout(resolve, 200));
      stop();
      clock += 100;
      expect(await memory.orphanedCases()).toEqual([]);
      clock += 200;
      expect(await memory.orphanedCases()).toEqual([{ caseId, alertId: "A-1" }]);
    });

    it("closes orphans as superseded by their successor, once, with an audit row each", async () => {
      const { memory, auditRows } = await fresh();
      const old = await opened(memory, "A-1", [], remoteOwner(1));
      clock += LEASE + 1;
      const live = await opened(memory, "A-1", [], remoteOwner(2));
      expect(await memory.supersedeCases([old, live], live)).toEqual([old]);
      expect(await memory.getCase(old)).toMatchObject({ status: "closed", supersededBy: live });
      expect(await memory.supersedeCases([old], live)).toEqual([]);
      expect(await memory.takeCase(old, remoteOwner(3), LEASE, { statuses: ["closed"] })).toBe(false);
      expect(await auditRows()).toEqual([{ event: "case.superseded", caseId: old }]);
    });

    it("commits a change with its audit rows or not at all", async () => {
      const { memory, auditRows } = await fresh();
      const caseId = await opened(memory, "A-1");
      // A BigInt has no JSON: the second row cannot be written, so the first and the change roll back.
      const change = memory.setStatus(caseId, "closed", {}, [
        row("kept.not", caseId),
        row("unwritable", caseId, { n: 1n }),
      ]);
      await expect(change).rejects.toThrow();
      expect(await memory.getCase(caseId)).toMatchObject({ status: "investigating" });
      await memory.audit(row("stand.alone", null));
      expect(await auditRows()).toEqual([{ event: "stand.alone", caseId: null }]);
    });

    it("holds a deferred case's record until its next write that must land, then commits both in order", async () => {
      const store = await fresh();
      const { memory, auditRows } = store;
      const other = await store.another();
      const caseId = await opened(memory, "A-1");
      const record = memory.deferWrites(caseId);
      const evidence = {
        id: "ev-1",
        tool: "siem",
        args: {},
        summary: "s",
        data: null,
        collectedAt: now().toISOString(),
      };
      await memory.addEvidence(caseId, [evidence], [], row("evidence.added", caseId));
      await memory.saveVerdict(caseId, verdictOf("malicious"), [], row("verdict.assessed", caseId));
      await memory.saveActions(caseId, [isolate], [], row("policy.decided", caseId));
      await memory.audit(row("note", caseId));
      await memory.completeAction(
        caseId,
        {
          actionId: "act-0",
          status: "dry_run",
          idempotencyKey: "k-0",
          detail: "would",
          at: now().toISOString(),
        },
        row("action.dry_run", caseId),
      );
      // Held: another client sees none of it, and the audit log has nothing of this case yet.
      expect(await other.getCase(caseId)).toMatchObject({ disposition: null });
      expect(await auditRows()).toEqual([]);
      // A claim must land at once: the record lands with it, before its own row.
      expect(await memory.claimAction(caseId, "act-1", "k-1", row("action.started", caseId))).toEqual({
        claimed: true,
      });
      expect(await other.getCase(caseId)).toMatchObject({ disposition: "malicious" });
      expect((await auditRows()).map((r) => r.event)).toEqual([
        "evidence.added",
        "verdict.assessed",
        "policy.decided",
        "note",
        "action.dry_run",
        "action.started",
      ]);
      // A real action's outcome is written at once; a later held write waits for commit().
      await memory.completeAction(
        caseId,
        {
          actionId: "act-1",
          status: "executed",
          idempotencyKey: "k-1",
          detail: "done",
          at: now().toISOString(),
        },
        row("action.executed", caseId),
      );
      expect(await other.countExecutions("isolate_host", new Date(0))).toBe(1);
      await memory.audit(row("late", caseId));
      expect((await auditRows()).map((r) => r.event)).not.toContain("late");
      await record.commit();
      expect((await auditRows()).map((r) => r.event).slice(-2)).toEqual(["action.executed", "late"]);
      // No longer deferred: writes land at once.
      await memory.audit(row("after", caseId));
      expect((await auditRows()).map((r) => r.event).at(-1)).toBe("after");
    });

    it("lets a deferred case read its own record, and keeps it held when the write carrying it fails", async () => {
      const { memory, auditRows } = await fresh();
      const caseId = await opened(memory, "A-1");
      const record = memory.deferWrites(caseId);
      await memory.saveVerdict(caseId, verdictOf("benign"), [], row("verdict.assessed", caseId));
      expect(await memory.getCase(caseId)).toMatchObject({ disposition: "benign" });
      await memory.saveVerdict(caseId, verdictOf("malicious"), [], row("verdict.revised", caseId));
      // The status change cannot be written (a BigInt has no JSON): nothing of it, nor of the held
      // verdict, is committed, and the verdict stays held for the next write.
      await expect(
        memory.setStatus(caseId, "closed", {}, row("unwritable", caseId, { n: 1n })),
      ).rejects.toThrow();
      expect((await auditRows()).map((r) => r.event)).toEqual(["verdict.assessed"]);
      await memory.setStatus(caseId, "closed", {}, row("case.closed", caseId));
      expect(await memory.getCase(caseId)).toMatchObject({ status: "closed", disposition: "malicious" });
      expect((await auditRows()).map((r) => r.event)).toEqual([
        "verdict.assessed",
        "verdict.revised",
        "case.closed",
      ]);
      // discard() drops what is held.
      await memory.audit(row("dropped", caseId));
      record.discard();
      await record.commit();
      expect((await auditRows()).map((r) => r.event)).not.toContain("dropped");
    });
  });
}
