import { END, START, StateGraph, StateSchema } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { caseReportOf, closeCaseCheckpoints, saveCaseReport } from "./case-reports.ts";
import { openCaseDatabase, type CaseDatabase } from "./db.ts";
import { openCaseDatabaseDriver } from "./sql/open.ts";
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

for (const engine of engines) {
  describe.skipIf(engine.skipReason !== null)(`kept reports on ${engineTitle(engine)}`, () => {
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
