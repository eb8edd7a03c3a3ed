/**
 * npm run bench: offline triage of every lab alert, per-alert latency (median, p99), with the SQLite
 * checkpointer (as the CLI runs) and without it, and the ratio; the pipeline's in-process cost per message
 * and per alert (bench/pipeline.ts); then the LLM, email, slow-tools, batch, bytes per closed case by table,
 * throughput (CLI email vs bare parse, batch --workers, bytes per case), the queue with 1, 2 and 4 worker
 * processes on PostgreSQL (bench/postgres-workers.ts), related-case recall at 100,000 and 1,000,000 cases,
 * hostile-mail benchmarks and the CLI's start-up (bench/batch.ts, case-bytes.ts, pipeline.ts, throughput.ts,
 * recall.ts, hostile.ts and startup.ts run alone too).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, projectRoot } from "../agent/config.ts";
import { benchBatch } from "./batch.ts";
import { benchCaseBytes } from "./case-bytes.ts";
import { benchRecall, recallLine } from "./recall.ts";
import { benchThroughput } from "./throughput.ts";
import { benchPipeline } from "./pipeline.ts";
import { benchPostgresWorkers } from "./postgres-workers.ts";
import { availableParallelism } from "node:os";
import { benchEmail } from "./email.ts";
import { quantile } from "../evals/stats.ts";
import { benchLlm } from "./llm.ts";
import { benchStartup } from "./startup.ts";
import { benchLabTools, renderToolBench } from "./tools.ts";
import { benchVendorTools } from "./vendor-fakes.ts";
import { runTriage } from "../agent/run-triage.ts";
import { openRuntime } from "../agent/setup.ts";
import { renderTable } from "../apps/render.ts";

async function timeAll(checkpointer: boolean, scratch: string, labDb: string): Promise<number[]> {
  const config = loadConfig({ db: join(scratch, `cases-${checkpointer ? "cp" : "nocp"}.db`), labDb });
  const opened = await openRuntime(config, { checkpointer });
  try {
    const alerts = await opened.runtime.deps.tools.alerts.listAlerts({ limit: 100_000 });
    // Warm-up: module JIT and SQLite page cache, not counted.
    for (const alert of alerts.slice(0, 10)) await runTriage(opened.runtime, alert.id, { dryRun: true });
    const times: number[] = [];
    for (const alert of alerts) {
      const started = performance.now();
      await runTriage(opened.runtime, alert.id, { dryRun: true });
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b);
  } finally {
    await opened.close();
  }
}

const scratch = mkdtempSync(join(tmpdir(), "soc-triage-bench-"));
try {
  const labDb = join(scratch, "lab.db");
  const without = await timeAll(false, scratch, labDb);
  const withCp = await timeAll(true, scratch, labDb);
  const row = (name: string, t: number[]) => [
    name,
    String(t.length),
    quantile(t, 0.5).toFixed(2),
    quantile(t, 0.99).toFixed(2),
  ];
  console.log("Offline triage of every lab alert (ms per alert)");
  console.log(
    renderTable(
      ["run", "alerts", "median", "p99"],
      [row("without checkpointer", without), row("with SQLite checkpointer", withCp)],
    ),
  );
  const ratio = quantile(withCp, 0.5) / Math.max(quantile(without, 0.5), 1e-9);
  const ratio99 = quantile(withCp, 0.99) / Math.max(quantile(without, 0.99), 1e-9);
  console.log(`checkpointer cost: median ×${ratio.toFixed(2)}, p99 ×${ratio99.toFixed(2)}`);
  for (const line of await benchPipeline(scratch, { messages: 300, alerts: 400 })) console.log(line);
  for (const line of await benchStartup(scratch, 15)) console.log(line);
  for (const line of await benchLlm(scratch, labDb, 30)) console.log(line);
  const corpus = join(projectRoot, "..", "shared", "datasets", "email");
  if (existsSync(join(corpus, "manifest.jsonl")))
    for (const line of await benchEmail(corpus, scratch)) console.log(line);
  else console.log(`email benchmark skipped: ${corpus} not present`);
  const toolRows = [
    ...(await benchLabTools(scratch, labDb, 150, 5)),
    ...(await benchVendorTools(scratch, 150, 5)),
  ];
  for (const line of renderToolBench(toolRows, 150)) console.log(line);
  for (const line of await benchBatch(scratch, { alerts: 1000, memoryAlerts: 10_000 })) console.log(line);
  for (const line of await benchCaseBytes(scratch, 200, labDb)) console.log(line);
  const throughput = { alerts: 1000, messages: 800, workers: availableParallelism() };
  await benchThroughput(scratch, throughput, (line) => console.log(line));
  // The queue with 1, 2 and 4 worker processes and batch --workers, case memory on PostgreSQL.
  await benchPostgresWorkers({ alerts: 1000, workers: [1, 2, 4], cases: "postgres" }, (line) =>
    console.log(line),
  );
  // Seeded once into the temp directory and reused: the first run writes a million cases (minutes).
  for (const cases of [100_000, 1_000_000]) console.log(recallLine(await benchRecall(cases, 2000)));
  // A process of its own, so its peak RSS is the hostile set's alone.
  spawnSync(process.execPath, ["--import", "tsx", join(projectRoot, "bench", "hostile.ts")], {
    cwd: projectRoot,
    stdio: "inherit",
  });
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
