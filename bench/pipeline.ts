/**
 * The pipeline's own cost, in process (no CLI start-up): per reported message, `triage email`'s path
 * (parse into an alert, then the campaign-aware triage through the graph with the SQLite checkpointer)
 * against a bare mailparser parse of the same messages; per lab alert, `triage batch`'s path (runTriage,
 * checkpointer on). Wall ms (mean, median, p99), CPU ms (user + system of the process over the loop, so
 * SQLite's work in the same thread counts) and LangGraph supersteps per run (the last checkpoint's step).
 *
 * Under a profiler: node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/pipeline.ts
 * Alone: npx tsx bench/pipeline.ts [--messages 300] [--alerts 400] [--only email|lab]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { simpleParser } from "mailparser";
import { z } from "zod";
import { loadConfig, projectRoot } from "../agent/config.ts";
import { reportedMessage, withReportedMessages } from "../agent/email-file.ts";
import { triageReport } from "../agent/campaigns/triage-report.ts";
import { runTriage, threadOf, type TriageRuntime } from "../agent/run-triage.ts";
import { openRuntime } from "../agent/setup.ts";
import { campaignRuntime } from "../apps/campaign-output.ts";
import { readCorpus } from "../evals/email/corpus.ts";
import { quantile } from "../evals/stats.ts";

/** What one timed loop measured. */
export interface LoopFigures {
  runs: number;
  meanMs: number;
  medianMs: number;
  p99Ms: number;
  cpuMsEach: number;
  /** Supersteps of a run, averaged over the runs that left a checkpoint. */
  supersteps: number | null;
}

async function timed(
  items: readonly string[],
  run: (item: string) => Promise<string | null>,
  runtime: TriageRuntime,
): Promise<LoopFigures> {
  const times: number[] = [];
  const cases: string[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (const item of items) {
    const one = performance.now();
    const caseId = await run(item);
    times.push(performance.now() - one);
    if (caseId) cases.push(caseId);
  }
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  times.sort((a, b) => a - b);
  let steps = 0;
  let counted = 0;
  for (const caseId of cases.slice(0, 50)) {
    const step = (await runtime.graph.getState(threadOf(caseId))).metadata?.step;
    if (typeof step === "number") {
      steps += step + 1; // the input step is -1: step n means n + 1 supersteps ran (input included)
      counted++;
    }
  }
  return {
    runs: items.length,
    meanMs: wall / Math.max(1, items.length),
    medianMs: quantile(times, 0.5),
    p99Ms: quantile(times, 0.99),
    cpuMsEach: (used.user + used.system) / 1000 / Math.max(1, items.length),
    supersteps: counted ? steps / counted : null,
  };
}

const WARM_UP_MESSAGES = 20;

/** Reported messages through `triage email`'s path, and the bare parse of the same messages. */
export async function benchPipelineEmail(
  corpusDir: string,
  scratch: string,
  count: number,
): Promise<{ bareMeanMs: number; bareP99Ms: number; bareCpuMsEach: number; triage: LoopFigures }> {
  const corpus = readCorpus(corpusDir).map((m) => m.raw);
  const raws = corpus.slice(0, count);
  // Warm-up on other messages of the corpus (JIT, lazily loaded modules, SQLite's page cache), not
  // counted: the first few messages of a process took 150–400 ms and were most of the p99.
  const warmUp = corpus.slice(count, count + WARM_UP_MESSAGES);
  for (const raw of warmUp) await simpleParser(raw);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const bareTimes: number[] = [];
  for (const raw of raws) {
    const one = performance.now();
    await simpleParser(raw);
    bareTimes.push(performance.now() - one);
  }
  const bareMeanMs = (performance.now() - started) / Math.max(1, raws.length);
  // The parse alone has a tail: a message with 150 kB of HTML takes mailparser's html-to-text ~70 ms.
  const bareP99Ms = quantile(
    bareTimes.sort((a, b) => a - b),
    0.99,
  );
  const bareUsed = process.cpuUsage(cpu);
  const now = new Date();
  const config = loadConfig({ db: join(scratch, "email-cases.db"), labDb: join(scratch, "lab.db") }, {});
  // The alert is made from the message inside the timed loop, as `triage email` parses each one.
  const reported: Awaited<ReturnType<typeof reportedMessage>>[] = [];
  const opened = await openRuntime(config, { wrapTools: (tools) => withReportedMessages(tools, reported) });
  try {
    const runtime = campaignRuntime(opened);
    const triageOne = async (raw: string, index: number, file: string) => {
      const message = await reportedMessage(raw, { file, index, now });
      reported.push(message);
      return (await triageReport(runtime, message.alert.id, { dryRun: true })).caseId;
    };
    for (const [index, raw] of warmUp.entries()) await triageOne(raw, index, "warm-up.mbox");
    const triage = await timed(
      raws.map((_, index) => String(index)),
      (item) => triageOne(raws[Number(item)] ?? "", Number(item), "bench.mbox"),
      opened.runtime,
    );
    return {
      bareMeanMs,
      bareP99Ms,
      bareCpuMsEach: (bareUsed.user + bareUsed.system) / 1000 / Math.max(1, raws.length),
      triage,
    };
  } finally {
    await opened.close();
  }
}

/** Every lab alert (cycled up to `count`), as `triage batch` triages one. */
export async function benchPipelineLab(scratch: string, count: number): Promise<LoopFigures> {
  const config = loadConfig({ db: join(scratch, "lab-cases.db"), labDb: join(scratch, "lab.db") }, {});
  const opened = await openRuntime(config);
  try {
    const alerts = await opened.runtime.deps.tools.alerts.listAlerts({ limit: 100_000 });
    const ids = Array.from({ length: count }, (_, i) => alerts[i % alerts.length]?.id ?? "");
    // Warm-up: JIT and SQLite's page cache, not counted.
    for (const id of ids.slice(0, 20)) await runTriage(opened.runtime, id, { dryRun: true });
    return await timed(
      ids,
      async (id) => (await runTriage(opened.runtime, id, { dryRun: true })).report.caseId,
      opened.runtime,
    );
  } finally {
    await opened.close();
  }
}

const figures = (f: LoopFigures) =>
  `mean ${f.meanMs.toFixed(2)} ms, median ${f.medianMs.toFixed(2)}, p99 ${f.p99Ms.toFixed(2)}, CPU ${f.cpuMsEach.toFixed(2)} ms each, ${f.supersteps?.toFixed(1) ?? "?"} supersteps per run`;

/** The benchmark's lines, email then lab. */
export async function benchPipeline(
  scratch: string,
  options: { messages: number; alerts: number; only?: "email" | "lab" },
): Promise<string[]> {
  const lines: string[] = [];
  const corpus = join(projectRoot, "..", "shared", "datasets", "email");
  if (options.only !== "lab") {
    const email = await benchPipelineEmail(corpus, scratch, options.messages);
    const ratio = email.triage.meanMs / Math.max(email.bareMeanMs, 1e-9);
    lines.push(
      `Pipeline, email (${email.triage.runs} messages, in process): bare parse ${email.bareMeanMs.toFixed(2)} ms (p99 ${email.bareP99Ms.toFixed(2)}, CPU ${email.bareCpuMsEach.toFixed(2)}); triage email ${figures(email.triage)}; ×${ratio.toFixed(1)} the bare parse`,
    );
  }
  if (options.only !== "email") {
    const lab = await benchPipelineLab(scratch, options.alerts);
    lines.push(
      `Pipeline, lab (${lab.runs} alerts, in process, checkpointer on): ${figures(lab)}; ${(1000 / lab.meanMs).toFixed(0)} alerts/s on one core`,
    );
  }
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      messages: { type: "string", default: "300" },
      alerts: { type: "string", default: "400" },
      only: { type: "string" },
    },
  });
  const flags = z
    .object({
      messages: z.coerce.number().int().min(1).max(100_000),
      alerts: z.coerce.number().int().min(1).max(1_000_000),
      only: z.enum(["email", "lab"]).optional(),
    })
    .safeParse(values);
  if (!flags.success) {
    console.error("bench/pipeline.ts: --messages 1..100000, --alerts 1..1000000, --only email|lab");
    process.exitCode = 2;
  } else {
    const scratch = mkdtempSync(join(tmpdir(), "soc-triage-bench-pipeline-"));
    try {
      const { only, ...counts } = flags.data;
      for (const line of await benchPipeline(scratch, only ? { ...counts, only } : counts)) console.log(line);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
}
