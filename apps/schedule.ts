/**
 * Scheduled batch triage: each run lists the alerts created after the source's watermark, triages them
 * under claims, then moves the watermark over the oldest-first prefix that is finished, so an interrupted
 * or failing run never hides an alert from the next one. croner fires the runs; `protect` keeps a run from
 * starting while the previous one in this process is still going.
 */
import { Cron } from "croner";
import type { OpenedRuntime } from "../agent/setup.ts";
import { nextWatermark } from "../memory/batch-watermarks.ts";
import { TriageError } from "../core/errors.ts";
import { recoverOrphans, triageAlerts, type BatchSummary, type TriageAlertsOptions } from "./batch.ts";

export interface ScheduledRun {
  summary: BatchSummary;
  watermarkBefore: string | null;
  watermarkAfter: string | null;
}

/** One run: list after the watermark, triage, advance the watermark over what is finished. */
export async function runScheduledBatch(
  opened: OpenedRuntime,
  options: TriageAlertsOptions & { limit: number },
): Promise<ScheduledRun> {
  const source = opened.runtime.deps.tools.alerts;
  const { watermarks } = opened.claims;
  const recoveredCases = await recoverOrphans(opened);
  const before = await watermarks.get(source.name);
  const alerts = await source.listAlerts({
    ...(before === null ? {} : { since: before }),
    limit: options.limit,
  });
  const { summary, outcomes } = await triageAlerts(opened, alerts, options);
  // An alert another worker holds counts only once that worker has finished it: if it dies, the lease
  // passes and this alert must still be listed so someone takes it over.
  const handled = await Promise.all(
    alerts.map(async (alert, index) => {
      const outcome = outcomes[index];
      if (outcome === "done" || outcome === "failed") return true;
      return outcome === "taken" && (await opened.claims.isFinished(source.name, alert.id));
    }),
  );
  const target = nextWatermark(alerts, (index) => handled[index] === true, {
    current: before,
    complete: alerts.length < options.limit,
  });
  const after = target === null || target === before ? before : await watermarks.advance(source.name, target);
  return { summary: { ...summary, recoveredCases }, watermarkBefore: before, watermarkAfter: after };
}

/** The pattern as croner reads it, or one BAD_INPUT line saying what is wrong with it. */
export function checkCron(pattern: string): string {
  try {
    new Cron(pattern, { paused: true }).stop();
    return pattern;
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern:\s*/, "") : String(error);
    throw new TriageError("BAD_INPUT", `--cron "${pattern}" is not a cron pattern: ${reason}`);
  }
}

export interface Schedule {
  /** No further runs start; resolves once the run in progress (if any) has returned. */
  stop(): Promise<void>;
}

/**
 * Calls `run` at every time the pattern matches. A time that comes while a run is still going is skipped
 * (`onSkip`), never queued, so runs never overlap and never pile up behind a slow one.
 */
export function startSchedule(
  pattern: string,
  run: () => Promise<void>,
  hooks: { onSkip?: (at: Date) => void; onError?: (error: unknown) => void } = {},
): Schedule {
  let current: Promise<void> | null = null;
  const job = new Cron(
    checkCron(pattern),
    {
      protect: () => hooks.onSkip?.(new Date()),
      catch: (error: unknown) => hooks.onError?.(error),
    },
    async () => {
      current = run();
      try {
        await current;
      } finally {
        current = null;
      }
    },
  );
  return {
    async stop() {
      job.stop();
      // A failed run was already reported through onError; stopping only waits for it.
      await current?.catch(() => undefined);
    },
  };
}
