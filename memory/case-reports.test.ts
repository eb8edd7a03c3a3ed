import { END, START, StateGraph, StateSchema } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { Alert, Evidence, Finding, InvestigationStep, Verdict } from "../core/domain.ts";
import { caseReportOf, closeCaseCheckpoints, saveCaseReport } from "./case-reports.ts";
import { SqlCaseMemory } from "./case-store.ts";
import { openCaseDatabase, type CaseDatabase } from "./db.ts";
import { PACK_DICTIONARY_V1 } from "./pack-dictionary.ts";
import { FROM_ROWS } from "./report-rows.ts";
import { openCaseDatabaseDriver, type CaseDatabaseDriver } from "./sql/open.ts";
import { createSqliteDriver } from "./sql/sqlite-driver.ts";
import { engineTitle, testEngines } from "./testing/engines.ts";

const { engines, stop } = await testEngines();
afterAll(stop);

const State = new StateSchema({ log: z.array(z.string()) });

function graphOn(db: CaseDatabase) {
  return new StateGraph(State)
    .addNode("first", (s) => ({ log: [...s.log, "first"] }))
    .addNode("last", (s) => ({ log: [...s.log, "last"] }))
    .addEdge(START, "first")
    .addEdge("first", "last")
    .addEdge("last", END)
    .compile({ checkpointer: new SqliteSaver(db) });
}

const thread = (id: string) => ({ configurable: { thread_id: id } });
const count = (db: CaseDatabase, table: string, where: string, id: string) =>
  z
    .object({ n: z.number() })
    .parse(db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where} = ?`).get(id)).n;

/** A case row for the report's foreign key. */
function caseRow(db: CaseDatabase, id: string): void {
  db.prepare(
    `INSERT INTO cases (id, alert_id, alert_source, family, type, title, status, reasoner, created_at, updated_at)
     VALUES (?, 'A-1', 'lab', 'email', 'phish', 't', 'closed', 'offline', '', '')`,
  ).run(id);
}

describe("closeCaseCheckpoints", () => {
  it("keeps the report, deflated, and deletes that case's checkpoints only", async () => {
    const db = openCaseDatabase(":memory:");
    const driver = createSqliteDriver(db, ":memory:");
    const graph = graphOn(db);
    for (const id of ["case-1", "case-2"]) {
      caseRow(db, id);
      await graph.invoke({ log: [] }, thread(id));
    }
    expect(count(db, "checkpoints", "thread_id", "case-1")).toBeGreaterThan(1);
    const otherBefore = count(db, "checkpoints", "thread_id", "case-2");
    const report = {
      caseId: "case-1",
      steps: Array.from({ length: 50 }, (_, i) => ({ n: i, tool: "siem" })),
    };

    await closeCaseCheckpoints(driver, "case-1", report);

    expect(count(db, "checkpoints", "thread_id", "case-1")).toBe(0);
    expect(count(db, "writes", "thread_id", "case-1")).toBe(0);
    expect((await graph.getState(thread("case-1"))).values).toEqual({});
    expect(count(db, "checkpoints", "thread_id", "case-2")).toBe(otherBefore);
    expect(await caseReportOf(driver, "case-1")).toEqual(report);
    expect(await caseReportOf(driver, "case-2")).toBeNull();
    const stored = z
      .object({ n: z.number() })
      .parse(db.prepare("SELECT LENGTH(report) AS n FROM case_reports").get()).n;
    expect(stored).toBeLessThan(JSON.stringify(report).length / 3);
    expect(db.inTransaction).toBe(false);
  });

  it("keeps the report in a database that never held checkpoints", async () => {
    const db = openCaseDatabase(":memory:");
    const driver = createSqliteDriver(db, ":memory:");
    caseRow(db, "case-3");
    await closeCaseCheckpoints(driver, "case-3", { caseId: "case-3" });
    expect(await caseReportOf(driver, "case-3")).toEqual({ caseId: "case-3" });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE name IN ('checkpoints', 'writes')").all();
    expect(tables).toEqual([]);
  });

  it("writes nothing when the report cannot be stored (an unknown case): the checkpoints stay", async () => {
    const db = openCaseDatabase(":memory:");
    const driver = createSqliteDriver(db, ":memory:");
    await graphOn(db).invoke({ log: [] }, thread("case-4"));
    const before = count(db, "checkpoints", "thread_id", "case-4");
    await expect(closeCaseCheckpoints(driver, "case-4", {})).rejects.toThrow(/FOREIGN KEY/);
    expect(count(db, "checkpoints", "thread_id", "case-4")).toBe(before);
  });
});

const at = "2026-12-07T10:00:00.000Z";
const alert: Alert = {
  id: "A-1",
  source: "lab",
  family: "email",
  type: "user_reported_phish",
  title: "Invoice",
  description: "",
  severity: "medium",
  createdAt: at,
  observables: [],
  raw: {},
};
const evidence: Evidence[] = [
  {
    id: "ev-alert",
    tool: "alert_source",
    args: { id: "A-1", source: "lab" },
    summary: "email alert user_reported_phish: Invoice",
    data: alert,
    collectedAt: at,
  },
  {
    id: "ev-2",
    tool: "mail_get_message",
    args: { mailbox: "ann@corp.test", id: "m-1" },
    summary: "message source, 9 bytes",
    data: "raw",
    collectedAt: at,
  },
  {
    id: "ev-1",
    tool: "siem_search",
    args: { dataset: "mail", limit: 1000 },
    summary: "failed: TIMEOUT",
    data: { error: {} },
    collectedAt: at,
  },
];
const stepOf = (e: Evidence, round: number, ok = true): InvestigationStep => ({
  round,
  tool: e.tool,
  args: e.args,
  evidenceId: e.id,
  ok,
  summary: e.summary,
  durationMs: 16.57,
});
const steps = [stepOf(evidence[1]!, 1), stepOf(evidence[2]!, 2, false)];
const verdict: Verdict = {
  disposition: "benign",
  confidence: 0.994,
  severity: "informational",
  category: "benign_notification",
  attack: [],
  summary: "Benign.",
  rationale: ["SPF, DKIM and DMARC all pass (-0.8)"],
  evidenceIds: ["ev-alert", "ev-2"],
  findingIds: ["email.auth.aligned_pass"],
  maliciousProbability: 0.0064,
  reasoner: "offline",
};
const findings: Finding[] = [
  {
    id: "email.auth.aligned_pass",
    title: "SPF, DKIM and DMARC all pass",
    detail: "",
    weight: -0.8,
    evidenceIds: ["ev-2"],
    attack: [],
  },
];

/** A report as agent/report.ts builds it from the state the rows of caseWithRows were written from. */
const reportOf = (
  caseId: string,
  reportSteps: InvestigationStep[] = steps,
  reportEvidence: Evidence[] = evidence,
) => ({
  caseId,
  alertId: "A-1",
  status: "closed",
  dryRun: true,
  alert: {
    id: alert.id,
    source: alert.source,
    family: alert.family,
    type: alert.type,
    title: alert.title,
    severity: alert.severity,
    createdAt: alert.createdAt,
  },
  verdict: {
    disposition: verdict.disposition,
    confidence: verdict.confidence,
    severity: verdict.severity,
    category: verdict.category,
    attack: verdict.attack,
    summary: verdict.summary,
    rationale: verdict.rationale,
    evidenceIds: verdict.evidenceIds,
    reasoner: verdict.reasoner,
    maliciousProbability: verdict.maliciousProbability,
  },
  findings: findings.map((f) => ({
    id: f.id,
    title: f.title,
    detail: f.detail,
    weight: f.weight,
    evidenceIds: f.evidenceIds,
  })),
  evidence: reportEvidence.map((e) => ({
    id: e.id,
    tool: e.tool,
    args: e.args,
    summary: e.summary,
    cited: e.id !== "ev-1",
  })),
  steps: reportSteps.map((s) => ({ ...s })),
  related: [],
  notes: ["tool siem_search failed: TIMEOUT"],
});

const keptRowSchema = z.object({ report: z.instanceof(Uint8Array), from_rows: z.number() });

for (const engine of engines) {
  describe.skipIf(engine.skipReason !== null)(`kept reports on ${engineTitle(engine)}`, () => {
    /** A case with the evidence and steps of `reportOf`, written as triage writes them. */
    async function caseWithRows(
      driver: CaseDatabaseDriver,
      rows: Evidence[] = evidence,
      rowSteps: InvestigationStep[] = steps,
    ): Promise<string> {
      const memory = new SqlCaseMemory(driver, { now: () => new Date(at) });
      const caseId = await memory.createCase(alert, { reasoner: "offline" });
      await memory.addEvidence(caseId, [rows[0]!], []);
      await memory.addEvidence(caseId, [rows[1]!], [rowSteps[0]!]);
      await memory.addEvidence(caseId, [rows[2]!], [rowSteps[1]!]);
      await memory.saveVerdict(caseId, verdict, findings);
      return caseId;
    }
    const keptRow = async (driver: CaseDatabaseDriver, caseId: string) =>
      keptRowSchema.parse(
        await driver.get("SELECT report, from_rows FROM case_reports WHERE case_id = ?", [caseId]),
      );

    it("keeps a report without the evidence and steps its case's rows hold, and gives it back byte for byte", async () => {
      const driver = await openCaseDatabaseDriver(await engine.location("case-reports"));
      try {
        const caseId = await caseWithRows(driver);
        const report = reportOf(caseId);
        await saveCaseReport(driver, caseId, report);
        const kept = await keptRow(driver, caseId);
        expect(kept.from_rows).toBe(
          FROM_ROWS.evidenceAndSteps | FROM_ROWS.verdictAndFindings | FROM_ROWS.alert,
        );
        const body = inflateRawSync(kept.report.subarray(1), { dictionary: PACK_DICTIONARY_V1 }).toString();
        expect(JSON.parse(body)).toEqual({
          ...report,
          alert: null,
          verdict: null,
          findings: [],
          evidence: [],
          steps: [],
        });
        expect(JSON.stringify(await caseReportOf(driver, caseId))).toBe(JSON.stringify(report));
        // A verdict other than the row's (not one triage writes): the other parts are left out.
        const other = { ...report, verdict: { ...report.verdict, summary: "Benign, by hand." } };
        await saveCaseReport(driver, caseId, other);
        expect((await keptRow(driver, caseId)).from_rows).toBe(FROM_ROWS.evidenceAndSteps | FROM_ROWS.alert);
        expect(JSON.stringify(await caseReportOf(driver, caseId))).toBe(JSON.stringify(other));
      } finally {
        await driver.close();
      }
    });

    it("keeps the evidence and steps in a report when the rows would not give them back: redacted arguments, other steps", async () => {
      const driver = await openCaseDatabaseDriver(await engine.location("case-reports"));
      try {
        // The rows hold redacted arguments; a report that still has the secret is not what they rebuild.
        const args = { mailbox: "ann@corp.test", authorization: "Bearer abcdef0123456789" };
        const secretEvidence = evidence.map((e) => (e.id === "ev-2" ? { ...e, args } : e));
        const secretSteps = [{ ...steps[0]!, args }, steps[1]!];
        const caseId = await caseWithRows(driver, secretEvidence, secretSteps);
        const stored = await driver.get("SELECT args FROM evidence WHERE case_id = ? AND id = 'ev-2'", [
          caseId,
        ]);
        expect(JSON.stringify(stored)).not.toContain("abcdef0123456789");
        for (const report of [
          reportOf(caseId, secretSteps, secretEvidence),
          reportOf(caseId, [secretSteps[0]!], secretEvidence),
        ]) {
          await saveCaseReport(driver, caseId, report);
          expect((await keptRow(driver, caseId)).from_rows).toBe(
            FROM_ROWS.verdictAndFindings | FROM_ROWS.alert,
          );
          expect(JSON.stringify(await caseReportOf(driver, caseId))).toBe(JSON.stringify(report));
        }
      } finally {
        await driver.close();
      }
    });

    it("puts the parts back into a kept report before their rows change: it reads as it was kept", async () => {
      const driver = await openCaseDatabaseDriver(await engine.location("case-reports"));
      try {
        const caseId = await caseWithRows(driver);
        const report = reportOf(caseId);
        await saveCaseReport(driver, caseId, report);
        const memory = new SqlCaseMemory(driver, { now: () => new Date(at) });
        // A campaign revision gives the closed case another verdict.
        await memory.saveVerdict(caseId, { ...verdict, disposition: "malicious", summary: "Revised." }, []);
        expect((await keptRow(driver, caseId)).from_rows).toBe(FROM_ROWS.evidenceAndSteps | FROM_ROWS.alert);
        expect(JSON.stringify(await caseReportOf(driver, caseId))).toBe(JSON.stringify(report));
        const late = { ...evidence[1]!, id: "ev-3", summary: "late" };
        await memory.addEvidence(caseId, [late], [stepOf(late, 3)]);
        expect((await keptRow(driver, caseId)).from_rows).toBe(FROM_ROWS.alert);
        expect(JSON.stringify(await caseReportOf(driver, caseId))).toBe(JSON.stringify(report));
      } finally {
        await driver.close();
      }
    });

    it("reads a report kept before migration 11: raw deflate, whole", async () => {
      const driver = await openCaseDatabaseDriver(await engine.location("case-reports"));
      try {
        const caseId = await caseWithRows(driver);
        const report = { ...reportOf(caseId), steps: [] };
        await driver.run("INSERT INTO case_reports (case_id, report) VALUES (?, ?)", [
          caseId,
          deflateRawSync(JSON.stringify(report)),
        ]);
        expect(JSON.stringify(await caseReportOf(driver, caseId))).toBe(JSON.stringify(report));
      } finally {
        await driver.close();
      }
    });

    it("stores a report as deflated bytes and reads it back as it was; replaces it; null for none", async () => {
      const driver = await openCaseDatabaseDriver(await engine.location("case-reports"));
      try {
        await driver.run(
          `INSERT INTO cases (id, alert_id, alert_source, family, type, title, status, reasoner, created_at, updated_at)
           VALUES ('case-1', 'A-1', 'lab', 'email', 'phish', 't', 'closed', 'offline', '', '')`,
        );
        const report = {
          caseId: "case-1",
          notes: ["é ✓ 𝄞"],
          steps: Array.from({ length: 20 }, (_, n) => ({ n })),
        };
        await saveCaseReport(driver, "case-1", report);
        expect(await caseReportOf(driver, "case-1")).toEqual(report);
        await saveCaseReport(driver, "case-1", { ...report, notes: [] });
        expect(await caseReportOf(driver, "case-1")).toEqual({ ...report, notes: [] });
        expect(await caseReportOf(driver, "case-2")).toBeNull();
      } finally {
        await driver.close();
      }
    });
  });
}
