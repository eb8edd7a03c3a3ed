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

const dir = mkdtempSync(join(tmpdir(), "soc-triage-recovery-"));
let setup: TrialSetup;
beforeAll(async () => {
  setup = await prepareTrials(dir, { limit: 4 });
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const exactlyOnce = { lost: 0, duplicated: 0, leftBehind: 0 };

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
