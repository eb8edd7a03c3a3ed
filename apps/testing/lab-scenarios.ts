/**
 * The seeded lab as CLI tests use it: alert ids by ground-truth scenario (a test names what an alert is,
 * not its number), and how often the lab's responder ran an action (exactly-once checks).
 */
import Database from "better-sqlite3";
import { z } from "zod";
import { readGroundTruth } from "../../tools/lab/ground-truth.ts";
import { openLab } from "../../tools/lab/index.ts";

/** Opens (seeding it if new) the lab at `labDb`; the returned function names the index-th alert of a scenario. */
export function labScenarioAlerts(labDb: string): (scenario: string, index?: number) => string {
  const lab = openLab(labDb, { seed: 1337 });
  const byScenario = new Map<string, string[]>();
  try {
    for (const t of readGroundTruth(lab))
      byScenario.set(t.scenario, [...(byScenario.get(t.scenario) ?? []), t.alertId]);
  } finally {
    lab.close();
  }
  return (scenario, index = 0) => {
    const id = byScenario.get(scenario)?.[index];
    if (!id) throw new Error(`no lab alert for ${scenario}`);
    return id;
  };
}

/** How many times the lab's responder ran the action with this idempotency key. */
export function labActionLog(labDb: string, key: string): number {
  const lab = new Database(labDb, { readonly: true });
  try {
    const row = lab.prepare("SELECT COUNT(*) AS n FROM action_log WHERE idempotency_key = ?").get(key);
    return z.object({ n: z.number() }).parse(row).n;
  } finally {
    lab.close();
  }
}
