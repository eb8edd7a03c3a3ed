/**
 * npm run bench:kill (or `tsx bench/kill-trials.ts [trials] [first-seed] [alerts-per-batch]`): randomized kill -9 trials over real child
 * processes (`triage approve`, `triage batch --execute`, `triage schedule --once`), each recovered and
 * checked against the lab's action log. Prints every trial and the totals; exits 1 on any lost or
 * duplicated action, or anything left behind.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareTrials, runTrial, type TrialKind, type TrialResult } from "../apps/testing/kill-trials.ts";
import { renderTable } from "../apps/render.ts";

const trials = Number(process.argv[2] ?? "50");
// Another first seed replays other trials (two runners can share a machine); fewer alerts, faster trials.
const firstSeed = Number(process.argv[3] ?? "0");
const limit = Number(process.argv[4] ?? "8");
const kinds: readonly TrialKind[] = ["approve", "batch", "schedule"];
const dir = mkdtempSync(join(tmpdir(), "soc-triage-kill-"));
const started = performance.now();
try {
  const setup = await prepareTrials(dir, { limit });
  const results: TrialResult[] = [];
  for (let index = 0; index < trials; index++) {
    const kind = kinds[index % kinds.length] ?? "approve";
    const result = await runTrial(setup, kind, firstSeed + index);
    results.push(result);
    process.stdout.write(
      `trial ${index + 1}/${trials} ${kind}: killed ${result.killedAt}; ${result.recoveredBy}; ran ${result.ran}/${result.expected}, lost ${result.lost}, duplicated ${result.duplicated}, left behind ${result.leftBehind}, superseded ${result.superseded}\n`,
    );
  }
  const sum = (pick: (r: TrialResult) => number, of = results) => of.reduce((s, r) => s + pick(r), 0);
  const rows = kinds.map((kind) => {
    const of = results.filter((r) => r.kind === kind);
    return [
      kind,
      String(of.length),
      String(of.filter((r) => r.killedAt !== "finished").length),
      String(sum((r) => r.expected, of)),
      String(sum((r) => r.lost, of)),
      String(sum((r) => r.duplicated, of)),
      String(sum((r) => r.leftBehind, of)),
      String(sum((r) => r.superseded, of)),
    ];
  });
  process.stdout.write(
    `\n${renderTable(["kind", "trials", "killed", "actions expected", "lost", "duplicated", "left behind", "superseded cases"], rows)}\n`,
  );
  const bad = sum((r) => r.lost + r.duplicated + r.leftBehind);
  process.stdout.write(
    `${results.length} trials in ${((performance.now() - started) / 1000).toFixed(0)} s: ${sum((r) => r.lost)} lost, ${sum((r) => r.duplicated)} duplicated, ${sum((r) => r.leftBehind)} left behind\n`,
  );
  process.exitCode = bad === 0 ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
