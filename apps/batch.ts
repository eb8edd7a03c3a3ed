/**
 * Batch triage: every new alert of the configured source, oldest first, a few at a time. Each alert is
 * claimed in case memory before it is triaged, so concurrent batches never do one twice; an alert that fails
 * is recorded with its reason and the batch goes on. A stop signal ends the batch cleanly: no new alert is
 * taken, those in flight finish and record their claims, and alerts never started stay unclaimed.
 */
import { instanceId } from "../core/ids.ts";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { recoverAll } from "../agent/recover.ts";
import { runTriage } from "../agent/run-triage.ts";
import type { OpenedRuntime } from "../agent/setup.ts";
import { describeError } from "../core/errors.ts";
import type { AlertSummary } from "../core/domain.ts";
import { z } from "zod";

export interface BatchProgress {
  /** Alerts handled so far: triaged, failed or skipped as already taken. */
  done: number;
  total: number;
  failed: number;
  elapsedMs: number;
}

/** What triaging one alert came to; plain data, so a worker process can send it to the batch. */
export type AlertResult = z.infer<typeof alertResultSchema>;

export const alertResultSchema = z.discriminatedUnion("status", [
  z.object({ status: z.literal("skipped"), claim: z.literal("taken"), lostLease: z.literal(false) }),
  z.object({
    status: z.literal("triaged"),
    claim: z.enum(["claimed", "took_over"]),
    caseId: z.string(),
    disposition: z.string(),
    awaitingApproval: z.boolean(),
    lostLease: z.boolean(),
  }),
  z.object({
    status: z.enum(["failed", "lost"]),
    claim: z.enum(["claimed", "took_over"]),
    error: z.string(),
    lostLease: z.boolean(),
  }),
]);

/** Runs one alert somewhere (here, or in a worker process) with up to `slots` alerts in flight. */
export interface AlertRunner {
  slots: number;
  run: (alert: AlertSummary) => Promise<AlertResult>;
}

export interface TriageAlertsOptions {
  concurrency: number;
  /** Where alerts run; default: in this process, `concurrency` at a time. */
  runner?: AlertRunner;
  dryRun: boolean;
  /** Once aborted, no new alert is taken; alerts in flight finish and record their claims. */
  stop?: AbortSignal;
  /** Once aborted, the batch stops waiting for alerts in flight (the grace period is over). */
  abandon?: AbortSignal;
  onProgress?: (progress: BatchProgress) => void;
}

/** Alerts run elsewhere (worker processes) for one batch: closed when it ends, killed when abandoned. */
export interface BatchRunner extends AlertRunner {
  close: () => Promise<void>;
  kill: () => void;
}

export interface BatchOptions extends TriageAlertsOptions {
  since?: string;
  limit: number;
  /** Starts a runner for this many listed alerts, or null to run them in this process. */
  startRunner?: (listed: number) => Promise<BatchRunner | null>;
}

export interface BatchSummary {
  worker: string;
  listed: number;
  triaged: number;
  /** Alerts whose earlier worker died mid-alert (lease passed): taken over and triaged here. */
  tookOver: number;
  /** Cases a crashed process had left investigating (outside any batch claim), finished before the run. */
  recoveredCases: number;
  skippedAlreadyTaken: number;
  byDisposition: Record<string, number>;
  pendingApprovals: number;
  failures: Array<{ alertId: string; error: string }>;
  /** Triaged here, but the lease had passed and another worker had taken the alert over meanwhile. */
  lostLeases: number;
  /** True when a stop signal ended the batch before every listed alert was taken. */
  stopped: boolean;
  /** Listed but never started because of the stop: left unclaimed for the next run. */
  notStarted: number;
  /** In flight when the grace period ran out: their claims stay running until the lease passes. */
  abandoned: string[];
  durationMs: number;
  alertsPerSecond: number;
}

/**
 * What became of each listed alert: `done`/`failed` by this worker, `taken` by another, `open` when it was
 * never started or still in flight when the batch was abandoned.
 */
export type AlertOutcome = "done" | "failed" | "taken" | "open";

export interface BatchResult {
  summary: BatchSummary;
  /** One per listed alert, same order. */
  outcomes: AlertOutcome[];
}

export const newWorkerId = instanceId;

/** Resolves true if `abandon` aborts before `work` settles. */
export async function abandoned(work: Promise<unknown>, abandon: AbortSignal | undefined): Promise<boolean> {
  if (!abandon) {
    await work;
    return false;
  }
  if (abandon.aborted) return true;
  let onAbort = () => {};
  const gaveUp = new Promise<true>((resolve) => {
    onAbort = () => resolve(true);
    abandon.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work.then(() => false), gaveUp]);
  } finally {
    abandon.removeEventListener("abort", onAbort);
  }
}

/**
 * Claims one alert for `worker`, triages it and records the claim's outcome. Never throws: a failing
 * alert is a result, so one bad alert fails alone (and, run in a worker process, crosses IPC as data).
 */
export async function triageOne(
  opened: OpenedRuntime,
  alert: Pick<AlertSummary, "id">,
  options: { worker: string; dryRun: boolean },
): Promise<AlertResult> {
  const source = opened.runtime.deps.tools.alerts.name;
  const { worker } = options;
  const claim = await opened.claims.claim(source, alert.id, worker);
  if (claim === "taken") return { claim, status: "skipped", lostLease: false };
  // A dead worker may have finished the alert's case and died before recording it: record that one.
  const unrecorded = claim === "took_over" ? await opened.claims.unrecordedCase(source, alert.id) : null;
  if (unrecorded !== null) {
    const finished = await opened.claims.finish(source, alert.id, worker, {
      status: "done",
      caseId: unrecorded.caseId,
    });
    return { claim, status: "triaged", ...unrecorded, lostLease: !finished };
  }
  // A live worker keeps its claim: only a dead one's lease passes.
  const stopHeartbeat = opened.claims.heartbeat(source, alert.id, worker);
  try {
    // The dead worker's case of this alert, if any, closes as superseded by the new one (runTriage),
    // whose actions reuse its idempotency keys: what it had started is finished, not run again.
    const outcome = await runTriage(opened.runtime, alert.id, { dryRun: options.dryRun });
    const finished = await opened.claims.finish(source, alert.id, worker, {
      status: "done",
      caseId: outcome.report.caseId,
    });
    return {
      claim,
      status: "triaged",
      caseId: outcome.report.caseId,
      disposition: outcome.report.verdict.disposition,
      awaitingApproval: outcome.status === "awaiting_approval",
      lostLease: !finished,
    };
  } catch (error) {
    const message = describeError(error);
    const finished = await opened.claims.finish(source, alert.id, worker, {
      status: "failed",
      error: message,
    });
    return { claim, status: "failed", error: message, lostLease: !finished };
  } finally {
    stopHeartbeat();
  }
}

/** Adds one alert's result to the summary; what became of the alert. */
export function tally(summary: BatchSummary, alertId: string, result: AlertResult): AlertOutcome {
  if (result.status === "skipped") {
    summary.skippedAlreadyTaken++;
    return "taken";
  }
  if (result.claim === "took_over") summary.tookOver++;
  if (result.status === "triaged") {
    summary.triaged++;
    summary.byDisposition[result.disposition] = (summary.byDisposition[result.disposition] ?? 0) + 1;
    if (result.awaitingApproval) summary.pendingApprovals++;
  } else summary.failures.push({ alertId, error: result.error });
  // A worker process that died mid-alert left its claim running: the alert is open until the lease passes.
  if (result.status === "lost") return "open";
  if (result.lostLease) {
    summary.lostLeases++;
    return "taken";
  }
  return result.status === "triaged" ? "done" : "failed";
}

/** Triages the given alerts (oldest first) under claims; the caller lists them. */
export async function triageAlerts(
  opened: OpenedRuntime,
  alerts: readonly AlertSummary[],
  options: TriageAlertsOptions,
): Promise<BatchResult> {
  const started = performance.now();
  const worker = newWorkerId();
  const outcomes: AlertOutcome[] = alerts.map(() => "open");
  const summary: BatchSummary = {
    worker,
    listed: alerts.length,
    triaged: 0,
    tookOver: 0,
    recoveredCases: 0,
    skippedAlreadyTaken: 0,
    byDisposition: {},
    pendingApprovals: 0,
    failures: [],
    lostLeases: 0,
    stopped: false,
    notStarted: 0,
    abandoned: [],
    durationMs: 0,
    alertsPerSecond: 0,
  };
  const inFlight = new Set<string>();
  const runner = options.runner ?? {
    slots: Math.max(1, options.concurrency),
    run: (alert: AlertSummary) => triageOne(opened, alert, { worker, dryRun: options.dryRun }),
  };
  const handle = async (index: number, alert: AlertSummary): Promise<void> => {
    outcomes[index] = tally(summary, alert.id, await runner.run(alert));
  };

  let next = 0;
  let done = 0;
  const work = async () => {
    while (!options.stop?.aborted) {
      const index = next++;
      const alert = alerts[index];
      if (alert === undefined) return;
      inFlight.add(alert.id);
      await handle(index, alert);
      inFlight.delete(alert.id);
      options.onProgress?.({
        done: ++done,
        total: alerts.length,
        failed: summary.failures.length,
        elapsedMs: performance.now() - started,
      });
      // Triage can settle entirely in microtasks; yielding lets a signal, a timer or a redraw run.
      await yieldToEventLoop();
    }
  };
  const workers = Promise.all(Array.from({ length: runner.slots }, work));
  if (await abandoned(workers, options.abandon)) summary.abandoned = [...inFlight];
  const taken = Math.min(next, alerts.length);
  summary.notStarted = alerts.length - taken;
  summary.stopped = summary.notStarted > 0 || summary.abandoned.length > 0;
  summary.durationMs = Math.round(performance.now() - started);
  summary.alertsPerSecond = summary.triaged / Math.max(summary.durationMs / 1000, 1e-3);
  return { summary, outcomes };
}

/**
 * Finishes the cases crashed processes left behind (a killed `triage approve`, a killed single triage),
 * and the actions they left started. Cases of alerts a batch claim still holds are not touched: the
 * worker that takes the claim over supersedes them.
 */
export async function recoverOrphans(opened: OpenedRuntime): Promise<number> {
  const source = opened.runtime.deps.tools.alerts.name;
  const orphaned = await opened.memory.orphanedCases();
  const claims = await Promise.all(orphaned.map((o) => opened.claims.status(source, o.alertId)));
  const orphans = orphaned.filter((_, i) => claims[i]?.status !== "running");
  return (await recoverAll(opened.runtime, orphans)).cases.length;
}

/** Finishes what crashed processes left behind, then lists new alerts of the configured source and triages them. */
export async function runBatch(opened: OpenedRuntime, options: BatchOptions): Promise<BatchSummary> {
  const recoveredCases = await recoverOrphans(opened);
  const alerts = await opened.runtime.deps.tools.alerts.listAlerts({
    ...(options.since ? { since: options.since } : {}),
    limit: options.limit,
  });
  const runner = (await options.startRunner?.(alerts.length)) ?? null;
  let summary: BatchSummary;
  try {
    ({ summary } = await triageAlerts(opened, alerts, { ...options, ...(runner ? { runner } : {}) }));
  } catch (error) {
    runner?.kill();
    throw error;
  }
  // Abandoned alerts die with their workers, as they would with this process: their claims' leases pass.
  if (summary.abandoned.length) runner?.kill();
  else await runner?.close();
  return { ...summary, recoveredCases };
}
