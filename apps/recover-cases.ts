/**
 * `triage recover` with batch claims in view. An orphaned case whose alert a batch or queue worker had
 * claimed is that dead worker's: finishing it without its claim left the claim running, and the worker that
 * later took the alert over (the queue job handed out again, the next batch) opened a second case for an
 * alert already triaged. So recover takes such a claim over first (its holder is dead: lease passed, or its
 * process on this host gone) and records the finished case in it; that worker then finds the alert done.
 * A case whose claim a live worker holds is that worker's to supersede, and is left to it.
 */
import { recoverAll, type RecoveryReport } from "../agent/recover.ts";
import type { OpenedRuntime } from "../agent/setup.ts";
import { newWorkerId } from "./batch.ts";

export async function recoverCases(opened: OpenedRuntime): Promise<RecoveryReport> {
  const source = opened.runtime.deps.tools.alerts.name;
  const worker = newWorkerId();
  const orphaned = await opened.memory.orphanedCases();
  const claimed = new Set<string>();
  const recoverable: typeof orphaned = [];
  const held: string[] = [];
  for (const orphan of orphaned) {
    const claim = await opened.claims.status(source, orphan.alertId);
    if (claim?.status !== "running") recoverable.push(orphan);
    else if (
      claimed.has(orphan.alertId) ||
      (await opened.claims.takeOverDead(source, orphan.alertId, worker))
    ) {
      claimed.add(orphan.alertId);
      recoverable.push(orphan);
    } else held.push(orphan.caseId);
  }
  const report = await recoverAll(opened.runtime, recoverable);
  for (const alertId of claimed) {
    // The alert's last case recover finished; none when another process took its cases first, and then the
    // claim's lease passes and a worker takes the alert over as before.
    const recovered = report.cases.filter((c) => c.alertId === alertId).at(-1);
    if (recovered === undefined) continue;
    await opened.claims.finish(
      source,
      alertId,
      worker,
      recovered.status === "failed"
        ? { status: "failed", error: recovered.error ?? "recovery failed" }
        : { status: "done", caseId: recovered.caseId },
    );
  }
  return { ...report, skipped: [...report.skipped, ...held] };
}
