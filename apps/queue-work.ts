/**
 * Triage through the alert queue: producers (`triage batch --enqueue`, `triage schedule --enqueue`) list new
 * alerts from the source and enqueue them; workers (`triage worker`, on any number of machines) take them
 * one by one and triage each under the same case-memory claim a batch uses, so an alert is triaged once
 * even when the queue hands its job out twice (a worker that died, an alert enqueued again later).
 */
import type { TriageConfig } from "../agent/config.ts";
import type { OpenedRuntime } from "../agent/setup.ts";
import type { AlertSummary } from "../core/domain.ts";
import { TriageError, describeError } from "../core/errors.ts";
import type { AlertQueue, EnqueueResult, QueuedAlert, QueuedOutcome } from "../core/ports.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { nextWatermark } from "../memory/batch-watermarks.ts";
import { PgBossAlertQueue } from "../memory/queue/pg-boss-queue.ts";
import { abandoned, newWorkerId, recoverOrphans, triageOne } from "./batch.ts";

/**
 * The queue's timings, from the claim lease (`--lease`, batch.leaseSeconds). A job in flight past its expiry
 * is taken for its worker's death and handed out again; by then the claim's lease must have passed, or the
 * next worker would find the alert held by the dead one. pg-boss notices expired jobs only in its
 * maintenance, which by default runs every two minutes (and first two minutes after a worker starts), and
 * hands an expired job out again after its retry delay: both are bounded by the lease too, so a takeover
 * follows a death within about three leases whatever the lease. The default lease (600 s) keeps pg-boss's
 * defaults: expiry 21 min, maintenance every 2 min, retries after 10 s.
 */
export function queueTimings(leaseMs: number): {
  expireInSeconds: number;
  maintenanceIntervalSeconds: number;
  retryDelaySeconds: number;
} {
  const lease = Math.max(1, Math.ceil(leaseMs / 1000));
  return {
    // Twice the lease, and a margin of one more lease (at most a minute) for clocks that disagree; pg-boss
    // refuses an expiry of a day or more (a lease over 12 h: the worker then waits out the claim's lease).
    expireInSeconds: Math.min(2 * lease + Math.min(60, lease), PG_BOSS_MAX_EXPIRY_SECONDS),
    maintenanceIntervalSeconds: Math.min(120, Math.max(1, Math.ceil(lease / 2))),
    retryDelaySeconds: Math.min(10, lease),
  };
}

/**
 * Opens the configured queue with the timings of the configured lease. Jobs carry the expiry and retry
 * settings of the process that enqueued them: producers and workers should share one lease.
 */
export async function openAlertQueue(
  config: TriageConfig,
  options: { worker: boolean; concurrency?: number; onError?: (line: string) => void },
): Promise<PgBossAlertQueue> {
  if (config.queueUrl === null)
    throw new TriageError("BAD_INPUT", "no alert queue: set TRIAGE_QUEUE=postgres://… or pass --queue");
  const where = new URL(config.queueUrl);
  try {
    return await PgBossAlertQueue.open(config.queueUrl, {
      ...queueTimings(config.leaseMs),
      supervise: options.worker,
      maxConnections: (options.concurrency ?? 1) + 2,
      ...(options.onError ? { onError: options.onError } : {}),
    });
  } catch (error) {
    throw new TriageError(
      "INTERNAL",
      `alert queue at ${where.host}${where.pathname} could not be opened: ${describeError(error)}`,
    );
  }
}

export interface EnqueueSummary extends EnqueueResult {
  source: string;
  listed: number;
}

async function enqueueListed(
  opened: OpenedRuntime,
  queue: AlertQueue,
  alerts: readonly AlertSummary[],
): Promise<EnqueueSummary> {
  const source = opened.runtime.deps.tools.alerts.name;
  const result = await queue.enqueue(alerts.map((a) => ({ source, alertId: a.id })));
  return { source, listed: alerts.length, ...result };
}

/** `triage batch --enqueue`: the alerts `triage batch` would triage, enqueued instead. */
export async function enqueueNew(
  opened: OpenedRuntime,
  queue: AlertQueue,
  options: { since?: string; limit: number },
): Promise<EnqueueSummary> {
  const alerts = await opened.runtime.deps.tools.alerts.listAlerts({
    ...(options.since ? { since: options.since } : {}),
    limit: options.limit,
  });
  return enqueueListed(opened, queue, alerts);
}

export interface ScheduledEnqueue extends EnqueueSummary {
  watermarkBefore: string | null;
  watermarkAfter: string | null;
}

/**
 * `triage schedule --enqueue`, one run: the alerts after the source's watermark, enqueued; the watermark
 * then moves over all of them, since a queued alert is the workers' to finish (the queue keeps it).
 */
export async function enqueueFromWatermark(
  opened: OpenedRuntime,
  queue: AlertQueue,
  options: { limit: number },
): Promise<ScheduledEnqueue> {
  const source = opened.runtime.deps.tools.alerts;
  const { watermarks } = opened.claims;
  const before = await watermarks.get(source.name);
  const alerts = await source.listAlerts({
    ...(before === null ? {} : { since: before }),
    limit: options.limit,
  });
  const summary = await enqueueListed(opened, queue, alerts);
  const target = nextWatermark(alerts, () => true, {
    current: before,
    complete: alerts.length < options.limit,
  });
  const after = target === null || target === before ? before : await watermarks.advance(source.name, target);
  return { ...summary, watermarkBefore: before, watermarkAfter: after };
}

/** One job's result as a worker reports it. */
export type JobReport = { alertId: string } & (QueuedOutcome | { status: "failed"; error: string });

export interface WorkerSummary {
  worker: string;
  triaged: number;
  failed: number;
  /** Jobs whose alert another worker or batch had already triaged (or was triaging). */
  skipped: number;
  tookOver: number;
  recoveredCases: number;
  byDisposition: Record<string, number>;
  pendingApprovals: number;
  /** Alerts in flight when the grace period ran out; their jobs expire and are handed out again. */
  abandoned: string[];
  durationMs: number;
}

/** pg-boss asserts an expiry under 24 hours. */
const PG_BOSS_MAX_EXPIRY_SECONDS = 24 * 3600 - 1;

/** The longest a worker waits between two looks at a claim another worker holds. */
const HELD_CLAIM_POLL_MS = 5_000;

/**
 * Waits while another worker holds the alert's claim, until the claim is finished, renewed (its worker is
 * alive: the alert is its to finish) or its lease has passed (its worker died: the alert is ours to take
 * over). A job is handed out again only once it expired, past the lease, so this is normally no wait at
 * all; but jobs carry the expiry of the process that enqueued them, and a producer with a shorter lease than
 * the workers' (or clocks that disagree) hands a dead worker's job out while its claim still looks held.
 * Completing that job as skipped left the alert untriaged for good; waiting at most one lease does not.
 * True when the lease passed. A stop while waiting fails the job, which pg-boss hands out again later.
 */
async function waitForHeldClaim(
  opened: OpenedRuntime,
  source: string,
  alertId: string,
  stop: AbortSignal,
): Promise<boolean> {
  const first = await opened.claims.status(source, alertId);
  if (first?.status !== "running" || first.leaseUntil === null) return false;
  for (;;) {
    const left = Date.parse(first.leaseUntil) - opened.runtime.deps.now().getTime();
    if (left < 0) return true;
    try {
      await sleep(Math.min(left + 50, HELD_CLAIM_POLL_MS), undefined, { signal: stop });
    } catch {
      throw new TriageError("INTERNAL", `stopped while waiting for ${first.worker}'s claim on ${alertId}`);
    }
    const now = await opened.claims.status(source, alertId);
    if (now?.status !== "running" || now.worker !== first.worker || now.leaseUntil !== first.leaseUntil)
      return false;
  }
}

/**
 * Triages one queued alert under its claim. A triage that fails throws its one line, which fails the job;
 * so does a job handed out again for an alert that already failed, with the reason it failed then.
 */
async function triageQueued(
  opened: OpenedRuntime,
  worker: string,
  alert: QueuedAlert,
  options: { dryRun: boolean; stop: AbortSignal },
): Promise<{ outcome: QueuedOutcome; tookOver: boolean }> {
  const source = opened.runtime.deps.tools.alerts.name;
  if (alert.source !== source)
    throw new TriageError(
      "BAD_INPUT",
      `alert ${alert.alertId} was queued from source ${alert.source}, but this worker reads ${source}`,
    );
  // The same claim-and-triage as a batch, so each alert is triaged once whoever gets it.
  const triage = () => triageOne(opened, { id: alert.alertId }, { worker, dryRun: options.dryRun });
  let result = await triage();
  if (result.status === "skipped" && (await waitForHeldClaim(opened, source, alert.alertId, options.stop)))
    result = await triage();
  if (result.status === "failed" || result.status === "lost") throw new TriageError("INTERNAL", result.error);
  if (result.status === "triaged")
    return {
      tookOver: result.claim === "took_over",
      outcome: {
        status: "done",
        caseId: result.caseId,
        disposition: result.disposition,
        awaitingApproval: result.awaitingApproval,
      },
    };
  const claim = await opened.claims.status(source, alert.alertId);
  if (claim?.status === "failed") throw new TriageError("INTERNAL", claim.error ?? "failed earlier");
  const reason =
    claim?.status === "done"
      ? `already triaged by ${claim.worker}`
      : `being triaged by ${claim?.worker ?? "another worker"}`;
  return { tookOver: false, outcome: { status: "skipped", reason } };
}

/**
 * `triage worker`: finishes what crashed processes left, then takes queued alerts until `stop` aborts.
 * Jobs in flight then finish and are recorded; if `abandon` aborts first, they are reported as abandoned.
 */
export async function runWorker(
  opened: OpenedRuntime,
  queue: AlertQueue,
  options: {
    concurrency: number;
    dryRun: boolean;
    stop: AbortSignal;
    abandon?: AbortSignal;
    pollMs?: number;
    onJob?: (report: JobReport) => void;
  },
): Promise<WorkerSummary> {
  const started = performance.now();
  const summary: WorkerSummary = {
    worker: newWorkerId(),
    triaged: 0,
    failed: 0,
    skipped: 0,
    tookOver: 0,
    recoveredCases: await recoverOrphans(opened),
    byDisposition: {},
    pendingApprovals: 0,
    abandoned: [],
    durationMs: 0,
  };
  const inFlight = new Set<string>();
  const handler = async (alert: QueuedAlert): Promise<QueuedOutcome> => {
    inFlight.add(alert.alertId);
    try {
      const { outcome, tookOver } = await triageQueued(opened, summary.worker, alert, {
        dryRun: options.dryRun,
        stop: options.stop,
      });
      if (tookOver) summary.tookOver++;
      if (outcome.status === "done") {
        summary.triaged++;
        summary.byDisposition[outcome.disposition] = (summary.byDisposition[outcome.disposition] ?? 0) + 1;
        if (outcome.awaitingApproval) summary.pendingApprovals++;
      } else summary.skipped++;
      options.onJob?.({ alertId: alert.alertId, ...outcome });
      return outcome;
    } catch (error) {
      summary.failed++;
      options.onJob?.({ alertId: alert.alertId, status: "failed", error: describeError(error) });
      throw error;
    } finally {
      inFlight.delete(alert.alertId);
    }
  };
  const work = queue.work(handler, {
    concurrency: options.concurrency,
    signal: options.stop,
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
  });
  if (await abandoned(work, options.abandon)) summary.abandoned = [...inFlight];
  summary.durationMs = Math.round(performance.now() - started);
  return summary;
}
