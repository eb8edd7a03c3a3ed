import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Alert, Observable } from "../core/domain.ts";
import { openCaseDatabase, type CaseDatabase } from "./db.ts";
import { recall, recallStatements } from "./recall.ts";
import { openCaseDatabaseDriver } from "./sql/open.ts";
import { createSqliteDriver } from "./sql/sqlite-driver.ts";
import { startTestPostgres } from "./testing/postgres.ts";
import { postgresQueryPlan, queryPlan, unboundedSteps } from "./testing/query-plan.ts";

const NOW = new Date("2026-12-07T00:00:00.000Z");
let db: CaseDatabase;
beforeEach(() => {
  db = openCaseDatabase(":memory:");
});
afterEach(() => db.close());

function storeCase(id: string, observables: Observable[], disposition = "malicious"): void {
  const at = NOW.toISOString();
  db.prepare(
    `INSERT INTO cases (id, alert_id, alert_source, family, type, title, status, reasoner, disposition, created_at, updated_at)
     VALUES (?, ?, 'lab', 'email', 'user_reported_phish', ?, 'closed', 'offline', ?, ?, ?)`,
  ).run(id, `A-${id}`, `case ${id}`, disposition, at, at);
  for (const o of observables)
    db.prepare("INSERT INTO observables (case_id, type, value, role) VALUES (?, ?, ?, ?)").run(
      id,
      o.type,
      o.value,
      o.role ?? "",
    );
}

function alertWith(observables: Observable[]): Alert {
  return {
    id: "A-new",
    source: "lab",
    family: "email",
    type: "user_reported_phish",
    title: "new",
    description: "",
    severity: "medium",
    createdAt: NOW.toISOString(),
    observables,
    raw: {},
  };
}

describe("recall's queries", () => {
  // SQLite plans these the same on ten rows as on ten million (recall never runs ANALYZE), so a plan
  // read here is the plan at scale.
  it("probes an observable from the covering index alone, stopping at the bound", () => {
    const plan = queryPlan(db, recallStatements.keyCases, ["domain", "evil.test", "case-0", 51]);
    expect(plan).toEqual(["SEARCH observables USING COVERING INDEX observables_recall (type=? AND value=?)"]);
  });

  it("reads the cases found, and who settled them, by case id", () => {
    const plan = queryPlan(db, recallStatements.caseRows(3), ["case-1", "case-2", "case-3"]);
    expect(unboundedSteps(plan)).toEqual([]);
    expect(plan).toEqual(
      expect.arrayContaining([
        "SEARCH c USING INDEX sqlite_autoindex_cases_1 (id=?)",
        "SEARCH f USING INDEX feedback_case (case_id=?)",
        "SEARCH a USING INDEX approvals_case (case_id=?)",
      ]),
    );
  });
});

const server = await startTestPostgres();
afterAll(async () => {
  if (server.ok) await server.postgres.stop();
});

describe.skipIf(!server.ok)("recall's queries on PostgreSQL", () => {
  // PostgreSQL plans by statistics: on a handful of rows a table scan is cheapest, so the plans are read
  // over 20,000 cases, analyzed, where a scan is what the planner would pick without the indexes.
  it("uses the same indexes", async () => {
    if (!server.ok) return;
    const driver = await openCaseDatabaseDriver(await server.postgres.database("recall_plan"));
    try {
      await driver.exec(`
INSERT INTO cases (id, alert_id, alert_source, family, type, title, status, reasoner, created_at, updated_at)
  SELECT 'case-' || i, 'A-' || i, 'lab', 'email', 't', 't', 'closed', 'offline', '2026-12-01', '2026-12-01'
  FROM generate_series(1, 20000) i;
INSERT INTO observables (case_id, type, value, role)
  SELECT 'case-' || i, 'domain', 'd' || (i % 5000) || '.test', 'sender' FROM generate_series(1, 20000) i;
INSERT INTO feedback (case_id, disposition, by, comment, at)
  SELECT 'case-' || i, 'benign', 'alice', '', '' FROM generate_series(1, 20000, 10) i;
INSERT INTO approvals (case_id, approved, by, action_ids, comment, at)
  SELECT 'case-' || i, 1, 'bob', '[]', '', '' FROM generate_series(1, 20000, 5) i;`);
      await driver.exec("VACUUM ANALYZE");
      const probe = await postgresQueryPlan(driver, recallStatements.keyCases, [
        "domain",
        "d7.test",
        "case-0",
        51,
      ]);
      expect(probe).toEqual(
        expect.arrayContaining(["Limit", "Index Only Scan using observables_recall on observables"]),
      );
      const cases = await postgresQueryPlan(driver, recallStatements.caseRows(3), [
        "case-1",
        "case-2",
        "case-3",
      ]);
      expect(cases).toEqual(
        expect.arrayContaining([
          "Index Scan using cases_pkey on cases c",
          "Index Scan Backward using feedback_case on feedback f",
          "Index Scan Backward using approvals_case on approvals a",
        ]),
      );
      for (const step of [...probe, ...cases]) expect(step).not.toMatch(/Seq Scan|Sort/);
    } finally {
      await driver.close();
    }
  });
});

describe("recall", () => {
  const domain: Observable = { type: "domain", value: "evil.test", role: "sender" };

  it("drops a value in more than 50 other cases as background, and keeps one in 50", async () => {
    for (let i = 0; i < 51; i++)
      storeCase(`bg-${i}`, [{ type: "domain", value: "common.test", role: "url" }]);
    for (let i = 0; i < 50; i++) storeCase(`c-${i}`, [domain]);
    const { history } = await recall(
      createSqliteDriver(db, ":memory:"),
      NOW,
      "case-new",
      alertWith([domain, { type: "domain", value: "common.test", role: "url" }]),
    );
    expect(history.map((h) => [h.value, h.seenInCases])).toEqual([["evil.test", 50]]);
  });

  it("counts a case once per value it shares, whatever roles hold it there, and not by a personal role", async () => {
    storeCase("two-roles", [domain, { ...domain, role: "url" }]);
    storeCase("personal", [{ ...domain, role: "recipient" }]);
    const { related, history } = await recall(
      createSqliteDriver(db, ":memory:"),
      NOW,
      "case-new",
      alertWith([domain]),
    );
    expect(related.map((r) => [r.caseId, r.sharedObservables])).toEqual([
      ["two-roles", [{ type: "domain", value: "evil.test" }]],
    ]);
    expect(history[0]?.seenInCases).toBe(1);
  });
});
