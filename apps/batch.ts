/**
 * Batch triage: every new alert of the configured source, oldest first, a few at a time. Each alert is
 * claimed in case memory before it is triaged, so concurrent batches never do one twice; an alert that fails
 * is recorded with its reason and the batch goes on.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { runTriage } from "../agent/run-triage.ts";
import type { OpenedRuntime } from "../agent/setup.ts";
import { describeError } from "../tools/errors.ts";

export interface BatchOptions {
  since?: string;
  limit: number;
  concurrency: number;
  dryRun: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface BatchSummary {
  worker: string;
  listed: number;
  triaged: number;
  skippedAlreadyTaken: number;
  byDisposition: Record<string, number>;
  pendingApprovals: number;
  failures: Array<{ alertId: string; error: string }>;
  durationMs: number;
  alertsPerSecond: number;
}

export async function runBatch(opened: OpenedRuntime, options: BatchOptions): Promise<BatchSummary> {
  const started = performance.now();
  const worker = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const source = opened.runtime.deps.tools.alerts;
  const alerts = await source.listAlerts({
    ...(options.since ? { since: options.since } : {}),
    limit: options.limit,
  });
  const summary: BatchSummary = {
    worker,
    listed: alerts.length,
    triaged: 0,
    skippedAlreadyTaken: 0,
    byDisposition: {},
    pendingApprovals: 0,
    failures: [],
    durationMs: 0,
    alertsPerSecond: 0,
  };
  let next = 0;
  let done = 0;
  const work = async () => {
    for (let i = next++; i < alerts.length; i = next++) {
      const alert = alerts[i];
      if (!alert) continue;
      if (!opened.claims.claim(source.name, alert.id, worker)) {
        summary.skippedAlreadyTaken++;
      } else {
        try {
          const outcome = await runTriage(opened.runtime, alert.id, { dryRun: options.dryRun });
          summary.triaged++;
          const d = outcome.report.verdict.disposition;
          summary.byDisposition[d] = (summary.byDisposition[d] ?? 0) + 1;
          if (outcome.status === "awaiting_approval") summary.pendingApprovals++;
          opened.claims.finish(source.name, alert.id, { status: "done", caseId: outcome.report.caseId });
        } catch (error) {
          const message = describeError(error);
          summary.failures.push({ alertId: alert.id, error: message });
          opened.claims.finish(source.name, alert.id, { status: "failed", error: message });
        }
      }
      options.onProgress?.(++done, alerts.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, work));
  summary.durationMs = Math.round(performance.now() - started);
  summary.alertsPerSecond = summary.triaged / Math.max(summary.durationMs / 1000, 1e-3);
  return summary;
}
