/**
 * kill -9 against case memory on PostgreSQL, as a user runs it: real `triage worker` processes on the
 * pg-boss queue and a real `triage approve` killed with SIGKILL (apps/testing/kill-trials.ts), then another
 * worker or `triage recover`. The lab's action log must match the same work done without a crash, and case
 * memory must show every alert triaged once. Skipped, saying why, where no PostgreSQL server can be had.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestPostgres } from "../memory/testing/postgres.ts";
import { prepareTrials, runTrial, type TrialResult, type TrialSetup } from "./testing/kill-trials.ts";
import { runCliAsync } from "./testing/run-cli.ts";
import { countRows, listColumn } from "./testing/trial-env.ts";

const server = await startTestPostgres();
const dir = mkdtempSync(join(tmpdir(), "soc-triage-pg-kill-"));
/** Alerts enqueued per worker trial. */
const alerts = 6;
let setup: TrialSetup;
beforeAll(async () => {
  if (!server.ok) return;
  const { postgres } = server;
  setup = await prepareTrials(dir, {
    limit: alerts,
    databases: { engine: "postgres", database: (name) => postgres.database(name) },
  });
}, 120_000);
afterAll(async () => {
  if (server.ok) await server.postgres.stop();
  rmSync(dir, { recursive: true, force: true });
});

const exactlyOnce = { lost: 0, duplicated: 0, leftBehind: 0, duplicateCases: 0 };

/**
 * Case memory after a worker trial: every alert's claim done, one live case per alert, and a second case
 * only for an alert the dead worker held, closed as superseded by that alert's live case. The test knows
 * which alerts died with the worker from their claims, read right after the kill: a claim still 'running'
 * with its worker gone is exactly an alert that was in flight (result.stranded).
 */
async function expectEachAlertOnce(result: TrialResult): Promise<void> {
  const db = result.caseDatabase;
  expect(await countRows(db, "SELECT COUNT(*) AS n FROM batch_claims WHERE status = 'done'")).toBe(alerts);
  expect(await countRows(db, "SELECT COUNT(DISTINCT alert_id) AS n FROM cases")).toBe(alerts);
  const live =
    "SELECT alert_id FROM cases WHERE superseded_by IS NULL GROUP BY alert_id HAVING COUNT(*) <> 1";
  expect(await countRows(db, `SELECT COUNT(*) AS n FROM (${live}) AS t`)).toBe(0);
  const supersededAlerts = await listColumn(
    db,
    "SELECT alert_id AS value FROM cases WHERE superseded_by IS NOT NULL ORDER BY alert_id",
  );
  expect(supersededAlerts.every((id) => result.stranded.includes(id))).toBe(true);
  expect(new Set(supersededAlerts).size).toBe(supersededAlerts.length);
  const misfiled = `SELECT COUNT(*) AS n FROM cases o JOIN cases s ON s.id = o.superseded_by
    WHERE s.alert_id <> o.alert_id OR s.superseded_by IS NOT NULL OR o.status <> 'closed'`;
  expect(await countRows(db, misfiled)).toBe(0);
  // The audit chain the two workers (one of them killed) appended to still verifies.
  const verify = await runCliAsync(["audit", "verify", "--json"], {
    TRIAGE_DB: db,
    XDG_DATA_HOME: result.dir,
    TRIAGE_POLICY: "",
    TRIAGE_CONFIG: "",
  });
  expect(verify.code, verify.stdout + verify.stderr).toBe(0);
}

describe.skipIf(!server.ok)(
  `kill -9 with case memory on PostgreSQL${server.ok ? "" : ` (skipped: ${server.reason})`}`,
  () => {
    it("a queue worker killed at a node boundary: another worker takes its alerts over, each triaged once, each action once", async () => {
      const result = await runTrial(setup, "worker", 1, { fault: "checkpoint" });
      expect(result.killedAt).toMatch(/^checkpoint/);
      expect(result.stranded.length).toBeGreaterThan(0);
      expect(result).toMatchObject(exactlyOnce);
      expect(result.ran).toBe(result.expected);
      expect(result.superseded).toBeGreaterThan(0);
      await expectEachAlertOnce(result);
    }, 60_000);

    it("a queue worker killed with an action in flight: the action is finished under its key, not run twice", async () => {
      const result = await runTrial(setup, "worker", 2, { fault: "in-action" });
      expect(result.killedAt).toMatch(/^in action/);
      expect(result.stranded.length).toBeGreaterThan(0);
      expect(result).toMatchObject(exactlyOnce);
      expect(result.ran).toBe(result.expected);
      await expectEachAlertOnce(result);
    }, 60_000);

    it("triage recover run before the takeover finishes the dead worker's cases and records them in their claims: no second case", async () => {
      const result = await runTrial(setup, "worker", 4, { fault: "checkpoint", recoverFirst: true });
      expect(result.killedAt).toMatch(/^checkpoint/);
      expect(result.recoveredBy).toMatch(/^recover \(exit 0\) \+ worker takeover/);
      expect(result.stranded.length).toBeGreaterThan(0);
      expect(result).toMatchObject({ ...exactlyOnce, superseded: 0 });
      expect(result.ran).toBe(result.expected);
      await expectEachAlertOnce(result);
      // Every stranded alert's claim names the case recover finished, not one a worker opened after it.
      const recovered = await countRows(
        result.caseDatabase,
        "SELECT COUNT(*) AS n FROM audit_log WHERE event = 'case.recovered'",
      );
      expect(recovered).toBeGreaterThan(0);
    }, 60_000);

    it("triage recover finishes a case an approve left mid-action; the approved action runs once", async () => {
      const result = await runTrial(setup, "approve", 3, { fault: "in-action", recoverBy: "recover" });
      expect(result.killedAt).toMatch(/^in action/);
      expect(result.recoveredBy).toBe("recover (exit 0)");
      expect(result).toMatchObject(exactlyOnce);
      expect(result.ran).toBe(result.expected);
      // recover, not a later approve, took the case on from its checkpoint.
      expect(
        await countRows(
          result.caseDatabase,
          "SELECT COUNT(*) AS n FROM audit_log WHERE event = 'case.recovered'",
        ),
      ).toBe(1);
    }, 60_000);
  },
);
