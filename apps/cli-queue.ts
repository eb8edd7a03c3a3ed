/**
 * The queue's commands: `triage worker`, and what `triage batch --enqueue` and `triage schedule --enqueue`
 * do instead of triaging. pg-boss and the runtime load inside the actions, so other commands never pay for
 * them.
 */
import type { Command } from "commander";
import type { ConfigOverrides, TriageConfig } from "../agent/config.ts";
import type { OpenedRuntime } from "../agent/setup.ts";
import { TriageError } from "../core/errors.ts";
// Signal handling and number flags are batch's: a worker stops the way a batch does.
import { stopOnSignals, whole } from "./cli-batch.ts";
import { EXIT, fail, print, printJson } from "./output.ts";
import type { EnqueueSummary, JobReport, WorkerSummary } from "./queue-work.ts";

interface Shared {
  addCommon: (command: Command) => Command;
  overrides: (options: ConfigOverrides & { json?: boolean }) => ConfigOverrides;
  setExit: (code: number) => void;
}

type WorkerOptions = ConfigOverrides & {
  json?: boolean;
  queue?: string;
  concurrency: string;
  grace: string;
  poll: string;
  lease?: string;
  execute?: boolean;
};

/** Checked before anything is opened: a queue command without a queue is one line and exit 2. */
export function requireQueue(config: TriageConfig): void {
  if (config.queueUrl === null)
    throw new TriageError("BAD_INPUT", "no alert queue: set TRIAGE_QUEUE=postgres://… or pass --queue");
}

function enqueuedText(summary: EnqueueSummary): string {
  return `enqueued ${summary.enqueued} of ${summary.listed} alerts from ${summary.source}; ${summary.alreadyQueued} already in the queue`;
}

/** `triage batch --enqueue`: list as `triage batch` does, enqueue, print `{"enqueued": N, …}`. */
export async function enqueueCommand(
  config: TriageConfig,
  opened: OpenedRuntime,
  options: { since?: string; limit: number; json?: boolean },
): Promise<number> {
  const { enqueueNew, openAlertQueue } = await import("./queue-work.ts");
  const queue = await openAlertQueue(config, { worker: false, onError: (line) => fail(0, line) });
  try {
    const summary = await enqueueNew(opened, queue, options);
    if (options.json) printJson(summary);
    else print(enqueuedText(summary));
    return EXIT.ok;
  } finally {
    await queue.close();
  }
}

/** `triage schedule --enqueue`: each run enqueues the alerts after the watermark and moves it over them. */
export async function scheduledEnqueuer(
  config: TriageConfig,
  opened: OpenedRuntime,
  options: { limit: number; json?: boolean },
): Promise<{ run: (index: number) => Promise<void>; close: () => Promise<void> }> {
  const { enqueueFromWatermark, openAlertQueue } = await import("./queue-work.ts");
  const queue = await openAlertQueue(config, { worker: false, onError: (line) => fail(0, line) });
  return {
    run: async (index) => {
      const result = await enqueueFromWatermark(opened, queue, { limit: options.limit });
      const at = new Date().toISOString();
      if (options.json) print(JSON.stringify({ run: index, at, ...result }));
      else print(`${at} run ${index}: ${enqueuedText(result)}; watermark ${result.watermarkAfter ?? "none"}`);
    },
    close: () => queue.close(),
  };
}

function jobText(report: JobReport): string {
  if (report.status === "done")
    return `${report.alertId} ${report.disposition} ${report.caseId}${report.awaitingApproval ? " (waiting for approval)" : ""}`;
  if (report.status === "skipped") return `${report.alertId} skipped: ${report.reason}`;
  return `${report.alertId} FAILED: ${report.error}`;
}

function summaryText(summary: WorkerSummary): string[] {
  const counts =
    Object.entries(summary.byDisposition)
      .map(([d, n]) => `${n} ${d}`)
      .join(", ") || "none";
  const lines = [
    `worker ${summary.worker} stopped: triaged ${summary.triaged} (${counts}); ${summary.pendingApprovals} waiting for approval; ${summary.skipped} skipped; ${summary.failed} failed; ${(summary.durationMs / 1000).toFixed(1)} s`,
  ];
  if (summary.tookOver) lines.push(`  took over ${summary.tookOver} alerts whose worker had died`);
  if (summary.recoveredCases)
    lines.push(`  recovered ${summary.recoveredCases} cases a crashed process had left investigating`);
  if (summary.abandoned.length)
    lines.push(
      `  grace period over with ${summary.abandoned.length} alerts in flight (${summary.abandoned.join(", ")}): their jobs go to another worker once they expire`,
    );
  return lines;
}

async function workerCommand(options: WorkerOptions, shared: Shared): Promise<number> {
  const concurrency = whole("--concurrency", options.concurrency, 1, 64);
  const graceMs = whole("--grace", options.grace, 0, 3600) * 1000;
  const pollMs = whole("--poll", options.poll, 10, 60_000);
  const { loadConfig } = await import("../agent/config.ts");
  const config = loadConfig({
    ...shared.overrides(options),
    queue: options.queue,
    ...(options.lease === undefined ? {} : { leaseSeconds: whole("--lease", options.lease, 1, 86_400) }),
  });
  requireQueue(config);
  // From here a SIGTERM stops the worker cleanly, even one that arrives while it is still starting.
  const signals = stopOnSignals(graceMs);
  const [{ openRuntime }, { openAlertQueue, runWorker }] = await Promise.all([
    import("../agent/setup.ts"),
    import("./queue-work.ts"),
  ]);
  let opened: OpenedRuntime | null = null;
  let queue: Awaited<ReturnType<typeof openAlertQueue>> | null = null;
  try {
    opened = await openRuntime(config);
    queue = await openAlertQueue(config, { worker: true, concurrency, onError: (line) => fail(0, line) });
    // Ready: tests and supervisors wait for this line before sending work or signals.
    fail(
      0,
      `worker ready: ${concurrency} at a time${options.execute ? ", executing allowed actions" : ", dry run"}`,
    );
    const summary = await runWorker(opened, queue, {
      concurrency,
      dryRun: !options.execute,
      stop: signals.stop,
      abandon: signals.abandon,
      pollMs,
      onJob: (report) => (options.json ? print(JSON.stringify(report)) : print(jobText(report))),
    });
    if (options.json) print(JSON.stringify({ summary }));
    else for (const line of summaryText(summary)) print(line);
    // Alerts abandoned in flight still use the databases: closing them under those alerts would record false
    // failures. Their jobs expire and go to another worker, whose claim takes the alert over.
    if (summary.abandoned.length) process.exit(EXIT.internal);
    return EXIT.ok;
  } finally {
    signals.dispose();
    await queue?.close();
    await opened?.close();
  }
}

/** Registers `triage worker`. */
export function registerWorkerCommand(program: Command, shared: Shared): void {
  shared
    .addCommon(
      program
        .command("worker")
        .description(
          "take alerts from the queue (TRIAGE_QUEUE) and triage them, until SIGTERM/SIGINT; run as many as you like, on any machines",
        ),
    )
    .option("--queue <url>", "the alert queue, a postgres:// URL (env TRIAGE_QUEUE)")
    .option("--concurrency <n>", "alerts in flight at once in this process", "2")
    .option("--grace <seconds>", "on SIGTERM/SIGINT, how long alerts in flight may take to finish", "25")
    .option("--poll <ms>", "how long an idle worker waits before asking the queue again", "1000")
    .option(
      "--lease <seconds>",
      "how long a worker holds an alert without renewing it (config batch.leaseSeconds)",
    )
    .option("--execute", "run the actions the policy allows (default: dry run)")
    .action(async (options: WorkerOptions) => shared.setExit(await workerCommand(options, shared)));
}
