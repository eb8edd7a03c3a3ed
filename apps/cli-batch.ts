/**
 * `triage batch` and `triage schedule`: triage new alerts once, or on a cron schedule from a watermark.
 * SIGTERM or SIGINT stops either cleanly: no new alert is taken, alerts in flight finish within the grace
 * period and record their claims, the summary is printed, and the exit code says how it ended.
 */
import { availableParallelism } from "node:os";
import type { Command } from "commander";
import type { ConfigOverrides, TriageConfig } from "../agent/config.ts";
import { describeError, TriageError } from "../core/errors.ts";
import type { BatchProgress, BatchRunner, BatchSummary } from "./batch.ts";
import { EXIT, fail, print, printJson } from "./output.ts";
import { createProgressReporter } from "./progress.ts";
import type { ScheduledRun } from "./schedule.ts";

/** The runtime both commands open, loaded when one of them runs. */
const runtimeModules = () => Promise.all([import("../agent/config.ts"), import("../agent/setup.ts")]);

interface Shared {
  addCommon: (command: Command) => Command;
  overrides: (options: ConfigOverrides & { json?: boolean }) => ConfigOverrides;
  setExit: (code: number) => void;
}

type Options = ConfigOverrides & {
  json?: boolean;
  limit: string;
  concurrency: string;
  grace: string;
  lease?: string;
  execute?: boolean;
  slackChannel?: string;
  enqueue?: boolean;
  queue?: string;
};

export function whole(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new TriageError("BAD_INPUT", `${name} must be a whole number from ${min} to ${max}, got ${text}`);
  }
  return Number(text);
}

function leaseOverride(options: Options): { leaseSeconds?: number; queue?: string } {
  return {
    ...(options.lease === undefined ? {} : { leaseSeconds: whole("--lease", options.lease, 1, 86_400) }),
    ...(options.queue === undefined ? {} : { queue: options.queue }),
  };
}

function common(options: Options) {
  return {
    limit: whole("--limit", options.limit, 1, 1_000_000),
    concurrency: whole("--concurrency", options.concurrency, 1, 64),
    graceMs: whole("--grace", options.grace, 0, 3600) * 1000,
    dryRun: !options.execute,
  };
}

/**
 * With --slack-channel, a run's digest goes to that channel with the bot token; checked before any work, and
 * a digest that cannot be posted is reported on stderr without changing the run's outcome.
 */
function digestPoster(
  channel: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): ((summary: BatchSummary) => Promise<void>) | null {
  if (channel === undefined) return null;
  if (!/^[A-Z0-9][A-Z0-9_-]{1,79}$/i.test(channel))
    throw new TriageError(
      "BAD_INPUT",
      `--slack-channel must be a Slack channel id such as C0123ABCD, got ${channel}`,
    );
  const token = env.SLACK_BOT_TOKEN;
  if (!token) throw new TriageError("BAD_INPUT", "--slack-channel needs SLACK_BOT_TOKEN in the environment");
  const slackApiUrl = env.SLACK_API_URL;
  return async (summary) => {
    try {
      // Bolt's Web API client is loaded only when a digest is posted.
      const { postBatchDigest } = await import("./slack/digest.ts");
      await postBatchDigest({ token, channel, summary, ...(slackApiUrl ? { slackApiUrl } : {}) });
    } catch (error) {
      fail(0, `digest not posted to ${channel}: ${describeError(error)}`);
    }
  };
}

interface Stopper {
  stop: AbortSignal;
  abandon: AbortSignal;
  dispose: () => void;
}

/**
 * The first SIGTERM/SIGINT stops taking alerts and starts the grace period; when it runs out, or on a
 * second signal, the batch stops waiting for the alerts still in flight.
 */
export function stopOnSignals(graceMs: number): Stopper {
  const stop = new AbortController();
  const abandon = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onSignal = () => {
    if (stop.signal.aborted) return abandon.abort();
    stop.abort();
    timer = setTimeout(() => abandon.abort(), graceMs);
    timer.unref();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return {
    stop: stop.signal,
    abandon: abandon.signal,
    dispose: () => {
      clearTimeout(timer);
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
    },
  };
}

function progressFor(json: boolean | undefined, label: string) {
  if (json) return undefined;
  const reporter = createProgressReporter({
    tty: process.stderr.isTTY === true,
    columns: process.stderr.columns ?? 80,
    label,
    // Progress is redrawn in place, which output.ts's line helpers cannot do.
    write: (text) => process.stderr.write(text),
  });
  return { onProgress: (p: BatchProgress) => reporter.update(p), end: () => reporter.end() };
}

function countsText(summary: BatchSummary): string {
  const counts =
    Object.entries(summary.byDisposition)
      .map(([d, n]) => `${n} ${d}`)
      .join(", ") || "none";
  return `triaged ${summary.triaged} of ${summary.listed} alerts (${counts}); ${summary.pendingApprovals} waiting for approval; ${summary.skippedAlreadyTaken} already taken by an earlier or concurrent batch; ${summary.failures.length} failed`;
}

function stopText(summary: BatchSummary): string[] {
  const lines: string[] = [];
  if (summary.tookOver) lines.push(`  took over ${summary.tookOver} alerts whose worker had died`);
  if (summary.recoveredCases)
    lines.push(`  recovered ${summary.recoveredCases} cases a crashed process had left investigating`);
  if (summary.notStarted)
    lines.push(`  stopped: ${summary.notStarted} alerts not started, left unclaimed for the next run`);
  if (summary.abandoned.length)
    lines.push(
      `  grace period over with ${summary.abandoned.length} alerts in flight (${summary.abandoned.join(", ")}): another run takes them over once their lease passes`,
    );
  for (const f of summary.failures) lines.push(`  FAILED ${f.alertId}: ${f.error}`);
  return lines;
}

function exitFor(summary: BatchSummary): number {
  return summary.failures.length || summary.abandoned.length ? EXIT.internal : EXIT.ok;
}

/**
 * Alerts abandoned in flight still use the database: closing it under them would record false failures,
 * and waiting would defeat the grace period. Their claims stay running until the lease passes.
 */
function exitNowIfAbandoned(summary: BatchSummary): void {
  if (summary.abandoned.length) process.exit(exitFor(summary));
}

/** `--enqueue`: the listed alerts go to the queue for `triage worker`s instead of being triaged here. */
async function enqueueInstead(
  config: TriageConfig,
  options: { since?: string; limit: number; json?: boolean | undefined },
): Promise<number> {
  const [{ enqueueCommand, requireQueue }, [, { openRuntime }]] = await Promise.all([
    import("./cli-queue.ts"),
    runtimeModules(),
  ]);
  requireQueue(config);
  const opened = await openRuntime(config);
  try {
    return await enqueueCommand(config, opened, {
      limit: options.limit,
      ...(options.since ? { since: options.since } : {}),
      ...(options.json ? { json: true } : {}),
    });
  } finally {
    await opened.close();
  }
}

/**
 * With more than one worker and more than one alert, the alerts run in worker processes (at most one per
 * alert); otherwise in this process, as before --workers existed.
 */
function workerPool(
  workers: number,
  settings: { concurrency: number; dryRun: boolean },
  overrides: ConfigOverrides,
): ((listed: number) => Promise<BatchRunner | null>) | undefined {
  const entry = process.argv[1];
  if (workers <= 1 || entry === undefined) return undefined;
  return async (listed) => {
    const count = Math.min(workers, listed);
    if (count <= 1) return null;
    const { startWorkerPool } = await import("./batch-workers.ts");
    return startWorkerPool({
      entry,
      count,
      concurrency: settings.concurrency,
      overrides,
      dryRun: settings.dryRun,
    });
  };
}

async function batchCommand(
  options: Options & { since?: string; workers: string },
  shared: Shared,
): Promise<number> {
  const settings = common(options);
  const workers = whole("--workers", options.workers, 1, 64);
  if (options.since !== undefined && Number.isNaN(Date.parse(options.since))) {
    throw new TriageError(
      "BAD_INPUT",
      `--since must be an ISO time such as 2026-11-02T08:00:00Z, got ${options.since}`,
    );
  }
  const since = options.since === undefined ? undefined : new Date(options.since).toISOString();
  const [[{ loadConfig }, { openRuntime }], { runBatch }] = await Promise.all([
    runtimeModules(),
    import("./batch.ts"),
  ]);
  const overrides = { ...shared.overrides(options), ...leaseOverride(options) };
  const config = loadConfig(overrides);
  if (options.enqueue)
    return enqueueInstead(config, { ...settings, ...(since ? { since } : {}), json: options.json });
  const digest = digestPoster(options.slackChannel, config.env);
  const opened = await openRuntime(config);
  const signals = stopOnSignals(settings.graceMs);
  const progress = progressFor(options.json, "triage batch");
  const startRunner = workerPool(workers, settings, overrides);
  try {
    const summary = await runBatch(opened, {
      ...settings,
      ...(since ? { since } : {}),
      ...(startRunner ? { startRunner } : {}),
      stop: signals.stop,
      abandon: signals.abandon,
      ...(progress ? { onProgress: progress.onProgress } : {}),
    });
    progress?.end();
    if (options.json) printJson(summary);
    else {
      print(
        `${countsText(summary)}; ${(summary.durationMs / 1000).toFixed(1)} s, ${summary.alertsPerSecond.toFixed(1)} alerts/s`,
      );
      for (const line of stopText(summary)) print(line);
    }
    await digest?.(summary);
    exitNowIfAbandoned(summary);
    return exitFor(summary);
  } finally {
    signals.dispose();
    await opened.close();
  }
}

function printRun(run: ScheduledRun, index: number, json: boolean | undefined): void {
  const at = new Date().toISOString();
  if (json) {
    print(JSON.stringify({ run: index, at, ...run }));
    return;
  }
  const s = run.summary;
  print(
    `${at} run ${index}: ${countsText(s)}; watermark ${run.watermarkAfter ?? "none"}; ${(s.durationMs / 1000).toFixed(1)} s`,
  );
  for (const line of stopText(s)) print(line);
}

async function scheduleCommand(
  options: Options & { cron: string; once?: boolean },
  shared: Shared,
): Promise<number> {
  const settings = common(options);
  const [[{ loadConfig }, { openRuntime }], { checkCron, runScheduledBatch, startSchedule }] =
    await Promise.all([runtimeModules(), import("./schedule.ts")]);
  const pattern = checkCron(options.cron);
  const config = loadConfig({ ...shared.overrides(options), ...leaseOverride(options) });
  const digest = digestPoster(options.slackChannel, config.env);
  const queueing = options.enqueue ? await import("./cli-queue.ts") : null;
  queueing?.requireQueue(config);
  const opened = await openRuntime(config);
  const enqueuer = queueing
    ? await queueing
        .scheduledEnqueuer(config, opened, { limit: settings.limit, ...(options.json ? { json: true } : {}) })
        .catch(async (error: unknown) => {
          await opened.close();
          throw error;
        })
    : null;
  const signals = stopOnSignals(settings.graceMs);
  const runs: { count: number; last: ScheduledRun | null } = { count: 0, last: null };
  const runOnce = async () => {
    const index = ++runs.count;
    if (enqueuer) return enqueuer.run(index);
    const progress = progressFor(options.json, `triage schedule run ${index}`);
    const run = await runScheduledBatch(opened, {
      ...settings,
      stop: signals.stop,
      abandon: signals.abandon,
      ...(progress ? { onProgress: progress.onProgress } : {}),
    });
    progress?.end();
    runs.last = run;
    printRun(run, index, options.json);
    await digest?.(run.summary);
  };
  try {
    if (options.once) await runOnce();
    else {
      const schedule = startSchedule(pattern, runOnce, {
        onSkip: (at) => fail(0, `schedule: ${at.toISOString()} skipped, the previous run is still going`),
        onError: (error) => fail(0, `schedule: run failed: ${describeError(error)}`),
      });
      if (!signals.stop.aborted)
        await new Promise((resolve) => signals.stop.addEventListener("abort", resolve, { once: true }));
      await schedule.stop();
    }
    const final = runs.last;
    if (final === null) return EXIT.ok;
    exitNowIfAbandoned(final.summary);
    // A long-running schedule reports failures per run; only a single run's failures set the exit code.
    return options.once || final.summary.abandoned.length ? exitFor(final.summary) : EXIT.ok;
  } finally {
    signals.dispose();
    await enqueuer?.close();
    await opened.close();
  }
}

/** Registers `batch` and `schedule` on the program, sharing its common flags and exit handling. */
export function registerBatchCommands(program: Command, shared: Shared): void {
  const { addCommon, setExit } = shared;
  const withBatchFlags = (command: Command) =>
    addCommon(command)
      .option("--limit <n>", "most alerts to take (per run)", "1000")
      .option("--concurrency <n>", "alerts in flight at once", "2")
      .option("--grace <seconds>", "on SIGTERM/SIGINT, how long alerts in flight may take to finish", "25")
      .option("--execute", "run the actions the policy allows (default: dry run)")
      .option(
        "--lease <seconds>",
        "how long a worker holds an alert without renewing it; past it, another worker takes over (config batch.leaseSeconds, default 600)",
      )
      .option("--slack-channel <id>", "post each run's digest to this Slack channel (env SLACK_BOT_TOKEN)")
      .option("--enqueue", "put the alerts on the queue for `triage worker`s instead of triaging them here")
      .option("--queue <url>", "the alert queue for --enqueue, a postgres:// URL (env TRIAGE_QUEUE)");

  withBatchFlags(
    program
      .command("batch")
      .description(
        "triage new alerts from the alert source, oldest first; each alert once, even across processes",
      )
      .option("--since <time>", "only alerts created after this ISO time")
      .option(
        "--workers <n>",
        "worker processes, each triaging --concurrency alerts at a time (1: all in this process)",
        String(availableParallelism()),
      ),
  ).action(async (options: Options & { since?: string; workers: string }) =>
    setExit(await batchCommand(options, shared)),
  );

  withBatchFlags(
    program
      .command("schedule")
      .description("triage new alerts on a cron schedule, each run from where the last one stopped")
      .requiredOption(
        "--cron <pattern>",
        'when to run, e.g. "*/5 * * * *" (a sixth field at the front: seconds)',
      )
      .option("--once", "one run now, then exit"),
  ).action(async (options: Options & { cron: string; once?: boolean }) =>
    setExit(await scheduleCommand(options, shared)),
  );
}
