/**
 * Exactly-once response actions across crashes, the fast subset: real `triage` processes killed with
 * SIGKILL at a node boundary and with an action in flight, then recovered (a later approve, `triage
 * recover`, another batch taking the alerts over). The lab's action log must match a crash-free run's.
 * `npm run bench:kill` runs 50 and more randomized trials.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareTrials, runTrial, type TrialSetup } from "./testing/kill-trials.ts";
import { runCliAsync } from "./testing/run-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "soc-triage-recovery-"));
let setup: TrialSetup;
beforeAll(async () => {
  setup = await prepareTrials(dir, { limit: 4 });
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const exactlyOnce = { lost: 0, duplicated: 0, leftBehind: 0, duplicateCases: 0 };

describe("kill -9, then recovery: every allowed or approved action ran exactly once", () => {
  it("an approve killed with the approved action in flight is finished by a later approve or recover", async () => {
    const result = await runTrial(setup, "approve", 1, { fault: "in-action" });
    expect(result.killedAt).toMatch(/^in action/);
    expect(result).toMatchObject(exactlyOnce);
    expect(result.ran).toBe(result.expected);
  }, 180_000);

  it("an approve killed at a node boundary is finished the same way", async () => {
    const result = await runTrial(setup, "approve", 2, { fault: "checkpoint" });
    expect(result).toMatchObject(exactlyOnce);
  }, 180_000);

  it("a batch killed mid-run is taken over after its lease; the old cases close superseded, nothing runs twice", async () => {
    const result = await runTrial(setup, "batch", 3, { fault: "in-action" });
    expect(result.killedAt).toMatch(/^in action/);
    expect(result).toMatchObject(exactlyOnce);
    expect(result.superseded).toBeGreaterThan(0);
  }, 180_000);
});

describe("triage recover and --lease, as a user runs them", () => {
  const env = () => ({
    TRIAGE_DB: join(dir, "plain", "cases.db"),
    TRIAGE_LAB_DB: setup.labTemplate,
    TRIAGE_POLICY: "",
    TRIAGE_CONFIG: "",
  });

  it("recover with nothing left behind finishes nothing and exits 0", async () => {
    const run = await runCliAsync(["recover", "--json"], env());
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ cases: [], actions: [], skipped: [] });
  }, 60_000);

  it("refuses a lease that is no whole number of seconds, with one line", async () => {
    const run = await runCliAsync(["batch", "--lease", "0"], env());
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("triage: --lease must be a whole number from 1 to 86400, got 0");
  }, 60_000);
});
