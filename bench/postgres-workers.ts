/**
 * Issue #14's "beyond one machine" figures: alerts/s with the queue (pg-boss on PostgreSQL) and 1, 2 and 4
 * `triage worker` processes, each alert checked to have been triaged exactly once. Everything goes through
 * the real CLI as an operator runs it: `batch --enqueue --json` fills the queue, N workers drain it, and
 * `cases list --json` is read back to count cases per alert. Also `batch --workers N` on the same engine,
 * for comparison with the queue.
 *
 * The PostgreSQL server is TRIAGE_TEST_POSTGRES or a throwaway cluster (memory/testing/postgres.ts); each
 * run gets fresh databases. Case memory is PostgreSQL (--cases postgres, the default) or one SQLite file
 * shared by the workers of this machine (--cases sqlite).
 *
 * Alone: npx tsx bench/postgres-workers.ts [--alerts 300] [--workers 1,2,4] [--cases postgres|sqlite]
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import { projectRoot } from "../agent/config.ts";
import { startTestPostgres, type TestPostgres } from "../memory/testing/postgres.ts";
import { openLab } from "../tools/lab/index.ts";
import { scaledLab } from "./batch.ts";

const TRIAGE = join(projectRoot, "bin", "triage.js");
// A fixed audit key: every worker process must sign the one chain with the same key, and a bench run
// must not write a key file beside a database URL.
const AUDIT_KEY = "c".repeat(64);
const WORKER_CONCURRENCY = 2;

type Env = Record<string, string>;

function cli(args: string[], env: Env): string {
  const run = spawnSync(process.execPath, [TRIAGE, ...args], {
    cwd: projectRoot,
    env: { ...process.env, TRIAGE_POLICY: "", TRIAGE_CONFIG: "", ...env },
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  if (run.status !== 0 && run.status !== 3)
    throw new Error(`triage ${args.join(" ")} exited ${run.status}: ${run.stderr.slice(0, 500)}`);
  return run.stdout;
}

const jobSchema = z.object({ alertId: z.string(), status: z.enum(["done", "skipped", "failed"]) });
const caseListSchema = z.array(z.object({ alertId: z.string(), supersededBy: z.string().nullable() }));
const enqueuedSchema = z.object({ enqueued: z.number() });
const batchSchema = z.object({ triaged: z.number(), listed: z.number(), alertsPerSecond: z.number() });

interface ExactlyOnce {
  alerts: number;
  once: number;
  twice: number;
  missing: number;
}

/** Cases per alert id, read back through `triage cases list` (superseded cases are a takeover's, not a second triage). */
function exactlyOnce(alertIds: readonly string[], env: Env): ExactlyOnce {
  const listed = caseListSchema.parse(
    JSON.parse(cli(["cases", "list", "--json", "--limit", String(alertIds.length * 3)], env)),
  );
  const counts = new Map<string, number>();
  for (const c of listed)
    if (c.supersededBy === null) counts.set(c.alertId, (counts.get(c.alertId) ?? 0) + 1);
  let once = 0;
  let twice = 0;
  let missing = 0;
  for (const id of alertIds) {
    const n = counts.get(id) ?? 0;
    if (n === 1) once++;
    else if (n === 0) missing++;
    else twice++;
  }
  return { alerts: alertIds.length, once, twice, missing };
}

function onceText(check: ExactlyOnce): string {
  const ok = check.once === check.alerts;
  return ok
    ? `each of ${check.alerts} alerts triaged exactly once`
    : `NOT exactly once: ${check.once} once, ${check.twice} more than once, ${check.missing} never`;
}

interface WorkerRun {
  seconds: number;
  steadyPerSecond: number;
  jobs: Record<string, number>;
  exitCodes: number[];
}

/** Starts `processes` workers, waits until `expected` jobs are reported, then stops them with SIGTERM. */
async function drainQueue(processes: number, expected: number, env: Env): Promise<WorkerRun> {
  const started = performance.now();
  const jobs: Record<string, number> = {};
  let reported = 0;
  let firstJobAt = 0;
  let lastJobAt = 0;
  let allDone: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const children = Array.from({ length: processes }, () => {
    const child = spawn(
      process.execPath,
      [TRIAGE, "worker", "--json", "--concurrency", String(WORKER_CONCURRENCY), "--poll", "50"],
      {
        cwd: projectRoot,
        env: { ...process.env, TRIAGE_POLICY: "", TRIAGE_CONFIG: "", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child.stderr.resume();
    createInterface({ input: child.stdout }).on("line", (line) => {
      const job = jobSchema.safeParse(safeJson(line));
      if (!job.success) return;
      const now = performance.now();
      if (reported === 0) firstJobAt = now;
      lastJobAt = now;
      jobs[job.data.status] = (jobs[job.data.status] ?? 0) + 1;
      if (++reported >= expected) allDone();
    });
    const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? -1)));
    return { child, exited };
  });
  const timeout = setTimeout(allDone, Math.max(120_000, expected * 500));
  await finished;
  clearTimeout(timeout);
  const seconds = (lastJobAt - started) / 1000;
  for (const { child } of children) child.kill("SIGTERM");
  const exitCodes = await Promise.all(children.map((c) => c.exited));
  const steadySeconds = (lastJobAt - firstJobAt) / 1000;
  return {
    seconds,
    steadyPerSecond: steadySeconds > 0 ? (reported - 1) / steadySeconds : 0,
    jobs,
    exitCodes,
  };
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

function alertIdsOf(lab: string, limit: number): string[] {
  const listed = z
    .array(z.object({ id: z.string() }))
    .parse(JSON.parse(cli(["lab", "list", "--json"], { TRIAGE_LAB_DB: lab })));
  return listed.slice(0, limit).map((a) => a.id);
}

export interface PostgresWorkersOptions {
  alerts: number;
  workers: readonly number[];
  cases: "postgres" | "sqlite";
}

async function measure(
  postgres: TestPostgres,
  scratch: string,
  options: PostgresWorkersOptions,
  print: (line: string) => void,
): Promise<void> {
  const seedLab = join(scratch, "seed-lab.db");
  openLab(seedLab, { seed: 1337 }).close();
  const lab = join(scratch, "lab.db");
  const listed = scaledLab(seedLab, lab, options.alerts);
  const alertIds = alertIdsOf(lab, listed);
  print(
    `Queue and workers: ${listed} lab alerts, dry run, pg-boss on PostgreSQL, case memory on ${options.cases}; ${availableParallelism()} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}; each worker process runs ${WORKER_CONCURRENCY} alerts at a time`,
  );
  const caseMemory = async (name: string): Promise<string> =>
    options.cases === "postgres" ? postgres.database(name) : join(scratch, `${name}.db`);

  let single: number | null = null;
  for (const processes of options.workers) {
    const queue = await postgres.database(`bench_queue_${processes}`);
    const env: Env = {
      TRIAGE_DB: await caseMemory(`bench_cases_q${processes}`),
      TRIAGE_LAB_DB: lab,
      TRIAGE_QUEUE: queue,
      TRIAGE_AUDIT_KEY: AUDIT_KEY,
    };
    const enqueued = enqueuedSchema.parse(
      JSON.parse(cli(["batch", "--enqueue", "--json", "--limit", String(listed)], env)),
    ).enqueued;
    const run = await drainQueue(processes, enqueued, env);
    const rate = enqueued / run.seconds;
    single ??= rate;
    const check = exactlyOnce(alertIds, env);
    print(
      `  ${processes} worker process${processes === 1 ? "" : "es"}: ${enqueued} jobs in ${run.seconds.toFixed(1)} s (start-up included) = ${rate.toFixed(1)} alerts/s, ${run.steadyPerSecond.toFixed(1)}/s between first and last job; ×${(rate / single).toFixed(2)} one process; jobs ${JSON.stringify(run.jobs)}; exit codes on SIGTERM ${run.exitCodes.join(",")}; ${onceText(check)}`,
    );
  }
  for (const workers of options.workers) {
    const env: Env = {
      TRIAGE_DB: await caseMemory(`bench_cases_b${workers}`),
      TRIAGE_LAB_DB: lab,
      TRIAGE_AUDIT_KEY: AUDIT_KEY,
    };
    const summary = batchSchema.parse(
      JSON.parse(cli(["batch", "--json", "--workers", String(workers), "--limit", String(listed)], env)),
    );
    print(
      `  batch --workers ${workers} on ${options.cases}: ${summary.triaged}/${summary.listed} at ${summary.alertsPerSecond.toFixed(1)} alerts/s; ${onceText(exactlyOnce(alertIds, env))}`,
    );
  }
}

/** Prints each figure as it is measured; says why when there is no PostgreSQL to measure against. */
export async function benchPostgresWorkers(
  options: PostgresWorkersOptions,
  print: (line: string) => void,
): Promise<void> {
  const server = await startTestPostgres();
  if (!server.ok) {
    print(`queue and worker benchmark skipped: ${server.reason}`);
    return;
  }
  const scratch = mkdtempSync(join(tmpdir(), "soc-triage-bench-pg-"));
  try {
    await measure(server.postgres, scratch, options, print);
  } finally {
    await server.postgres.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      alerts: { type: "string", default: "300" },
      workers: { type: "string", default: "1,2,4" },
      cases: { type: "string", default: "postgres" },
    },
  });
  const flags = z
    .object({
      alerts: z.coerce.number().int().min(10).max(100_000),
      workers: z
        .string()
        .transform((s) => s.split(",").map(Number))
        .pipe(z.array(z.number().int().min(1).max(16)).min(1)),
      cases: z.enum(["postgres", "sqlite"]),
    })
    .safeParse(values);
  if (!flags.success) {
    console.error(
      "bench/postgres-workers.ts: --alerts 10..100000, --workers a list like 1,2,4 (each 1..16), --cases postgres|sqlite",
    );
    process.exitCode = 2;
  } else {
    await benchPostgresWorkers(flags.data, (line) => console.log(line));
  }
}
