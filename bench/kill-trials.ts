/**
 * npm run bench:kill (or `tsx bench/kill-trials.ts [trials] [first-seed] [alerts-per-batch] [--db postgres]`):
 * randomized kill -9 trials over real child processes (`triage approve`, `triage batch --execute`,
 * `triage schedule --once`, and with PostgreSQL `triage worker` on the queue), each recovered and checked
 * against the lab's action log. Prints every trial and the totals; exits 1 on any lost or duplicated
 * action, anything left behind, or an alert with two live cases. `--db postgres://…/db` keeps each
 * trial's case memory (and queue) in a new database on that server; `--db postgres` on
 * TRIAGE_TEST_POSTGRES or a throwaway local cluster.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareTrials, runTrial, type TrialKind, type TrialResult } from "../apps/testing/kill-trials.ts";
import type { TrialDatabases } from "../apps/testing/trial-env.ts";
import { renderTable } from "../apps/render.ts";
import { startTestPostgres, type TestPostgres } from "../memory/testing/postgres.ts";

const args = process.argv.slice(2);
const dbFlag = args.indexOf("--db");
const db = dbFlag === -1 ? "sqlite" : (args.splice(dbFlag, 2)[1] ?? "");
const trials = Number(args[0] ?? "50");
// Another first seed replays other trials (two runners can share a machine); fewer alerts, faster trials.
const firstSeed = Number(args[1] ?? "0");
const limit = Number(args[2] ?? "8");

/** The server the trials' databases go on, or null for SQLite files. */
async function serverFor(db: string): Promise<TestPostgres | null> {
  if (db === "sqlite") return null;
  if (db !== "postgres" && !/^postgres(ql)?:\/\//.test(db))
    throw new Error(`--db takes sqlite, postgres or a postgres:// URL, got ${db}`);
  const server = await startTestPostgres(db === "postgres" ? process.env : { TRIAGE_TEST_POSTGRES: db });
  if (!server.ok) throw new Error(`no PostgreSQL for --db ${db}: ${server.reason}`);
  return server.postgres;
}
const postgres = await serverFor(db);
const databases: TrialDatabases = postgres
  ? { engine: "postgres", database: (name) => postgres.database(`kill_${name}`) }
  : { engine: "sqlite" };
const kinds: readonly TrialKind[] = postgres
  ? ["approve", "batch", "schedule", "worker"]
  : ["approve", "batch", "schedule"];
const dir = mkdtempSync(join(tmpdir(), "soc-triage-kill-"));
const started = performance.now();
try {
  const setup = await prepareTrials(dir, { limit, databases });
  const results: TrialResult[] = [];
  for (let index = 0; index < trials; index++) {
    const kind = kinds[index % kinds.length] ?? "approve";
    const result = await runTrial(setup, kind, firstSeed + index);
    results.push(result);
    process.stdout.write(
      `trial ${index + 1}/${trials} ${kind}: killed ${result.killedAt}; ${result.recoveredBy}; ran ${result.ran}/${result.expected}, lost ${result.lost}, duplicated ${result.duplicated}, left behind ${result.leftBehind}, superseded ${result.superseded}, alerts with two live cases ${result.duplicateCases}\n`,
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
      String(sum((r) => r.duplicateCases, of)),
    ];
  });
  process.stdout.write(
    `\n${renderTable(["kind", "trials", "killed", "actions expected", "lost", "duplicated", "left behind", "superseded cases", "alerts with 2 live cases"], rows)}\n`,
  );
  const bad = sum((r) => r.lost + r.duplicated + r.leftBehind + r.duplicateCases);
  process.stdout.write(
    `${results.length} trials in ${((performance.now() - started) / 1000).toFixed(0)} s: ${sum((r) => r.lost)} lost, ${sum((r) => r.duplicated)} duplicated, ${sum((r) => r.leftBehind)} left behind, ${sum((r) => r.duplicateCases)} alerts with two live cases\n`,
  );
  process.stdout.write(`case memory: ${postgres ? "PostgreSQL" : "SQLite"}\n`);
  process.exitCode = bad === 0 ? 0 : 1;
} finally {
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
}
