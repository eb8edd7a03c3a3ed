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

export interface BatchProgress {
  /** Alerts handled so far: triaged, failed or skipped as already taken. */
  done: number;
  total: number;
  failed: number;
  elapsedMs: number;
}

export interface TriageAlertsOptions {
  concurrency: number;
  dryRun: boolean;
  /** Once aborted, no new alert is taken; alerts in flight finish and record their claims. */
  stop?: AbortSignal;
  /** Once aborted, the batch stops waiting for alerts in flight (the grace period is over). */
  abandon?: AbortSignal;
  onProgress?: (progress: BatchProgress) => void;
}

export interface BatchOptions extends TriageAlertsOptions {
  since?: string;
  limit: number;
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
async function abandoned(work: Promise<unknown>, abandon: AbortSignal | undefined): Promise<boolean> {
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

/** Triages the given alerts (oldest first) under claims; the caller lists them. */
export async function triageAlerts(
  opened: OpenedRuntime,
  alerts: readonly AlertSummary[],
  options: TriageAlertsOptions,
): Promise<BatchResult> {
  const started = performance.now();
  const worker = newWorkerId();
  const source = opened.runtime.deps.tools.alerts;
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

  const handle = async (index: number, alert: AlertSummary): Promise<void> => {
    const claim = opened.claims.claim(source.name, alert.id, worker);
    if (claim === "taken") {
      summary.skippedAlreadyTaken++;
      outcomes[index] = "taken";
      return;
    }
    if (claim === "took_over") summary.tookOver++;
    let finished: boolean;
    // A live worker keeps its claim: only a dead one's lease passes.
    const stopHeartbeat = opened.claims.heartbeat(source.name, alert.id, worker);
    try {
      // The dead worker's case of this alert, if any, closes as superseded by the new one (runTriage),
      // whose actions reuse its idempotency keys: what it had started is finished, not run again.
      const outcome = await runTriage(opened.runtime, alert.id, { dryRun: options.dryRun });
      summary.triaged++;
      const disposition = outcome.report.verdict.disposition;
      summary.byDisposition[disposition] = (summary.byDisposition[disposition] ?? 0) + 1;
      if (outcome.status === "awaiting_approval") summary.pendingApprovals++;
      finished = opened.claims.finish(source.name, alert.id, worker, {
        status: "done",
        caseId: outcome.report.caseId,
      });
      outcomes[index] = "done";
    } catch (error) {
      const message = describeError(error);
      summary.failures.push({ alertId: alert.id, error: message });
      finished = opened.claims.finish(source.name, alert.id, worker, { status: "failed", error: message });
      outcomes[index] = "failed";
    } finally {
      stopHeartbeat();
    }
    if (!finished) {
      summary.lostLeases++;
      outcomes[index] = "taken";
    }
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
  const workers = Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, work));
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
  const orphans = (await opened.memory.orphanedCases()).filter(
    (o) => opened.claims.status(source, o.alertId)?.status !== "running",
  );
  return (await recoverAll(opened.runtime, orphans)).cases.length;
}

/** Finishes what crashed processes left behind, then lists new alerts of the configured source and triages them. */
export async function runBatch(opened: OpenedRuntime, options: BatchOptions): Promise<BatchSummary> {
  const recoveredCases = await recoverOrphans(opened);
  const alerts = await opened.runtime.deps.tools.alerts.listAlerts({
    ...(options.since ? { since: options.since } : {}),
    limit: options.limit,
  });
  const { summary } = await triageAlerts(opened, alerts, options);
  return { ...summary, recoveredCases };
}
