/**
 * Recovery after a crash: every case a dead process left 'investigating' goes on from its last checkpoint
 * (or from the start, if it died before its first one), and every action run left 'started' outside such a
 * case is finished under its idempotency key. The responders are idempotent on the key, or check the
 * target's state first, so finishing an action that did reach the vendor reports already_done.
 */
import { Command } from "@langchain/langgraph";
import { newOwnerId } from "../memory/case-leases.ts";
import { describeError, TriageError } from "../core/errors.ts";
import { alertSchema, proposedActionSchema, type ActionResult } from "../core/domain.ts";
import { normalizeAlert } from "./normalize.ts";
import { leaseOf, outcomeOf, owned, threadOf, type TriageOutcome, type TriageRuntime } from "./run-triage.ts";
import { triageStateSchema } from "./state.ts";

export interface RecoveredCase {
  caseId: string;
  alertId: string;
  /** Where it went on from: the next node of its last checkpoint, or "start". */
  from: string;
  status: "closed" | "awaiting_approval" | "failed";
  error?: string;
}

export interface RecoveryReport {
  cases: RecoveredCase[];
  actions: Array<{
    caseId: string;
    actionId: string;
    idempotencyKey: string;
    status: string;
    detail: string;
  }>;
  /** Orphans another process took first, or (`triage recover`) whose alert a live worker's claim holds. */
  skipped: string[];
}

/** Goes on with a case `owner` has just taken, from wherever its last checkpoint stopped. */
async function continueCase(
  runtime: TriageRuntime,
  caseId: string,
): Promise<{ from: string; outcome: TriageOutcome }> {
  const { memory, now } = runtime.deps;
  const snapshot = await runtime.graph.getState(threadOf(caseId));
  if (Object.keys(snapshot.values ?? {}).length === 0) {
    // Died before its first checkpoint: start again from the alert it was opened with, in its mode. Cases
    // opened by an earlier version stored the alert before normalizing it; normalizing again is a no-op.
    const opened = await memory.openedWith(caseId);
    const alert = normalizeAlert(alertSchema.parse(opened.alert));
    const last = await runtime.graph.invoke(
      { caseId, alertId: alert.id, alert, dryRun: opened.dryRun, startedAt: now().toISOString() },
      threadOf(caseId),
    );
    return { from: "start", outcome: await outcomeOf(runtime, caseId, last) };
  }
  const from = snapshot.next.join(",") || "end";
  if (snapshot.next.includes("await-approval")) {
    // An answer was recorded (it commits with taking the case) but the resume died: resume with it. No
    // answer: it died just as it paused, and it waits again.
    const answer = await memory.latestApproval(caseId);
    const last = answer
      ? await runtime.graph.invoke(new Command({ resume: answer }), threadOf(caseId))
      : snapshot.values;
    return { from, outcome: await outcomeOf(runtime, caseId, last) };
  }
  const last = snapshot.next.length
    ? await runtime.graph.invoke(null, threadOf(caseId))
    : triageStateSchema.parse(snapshot.values);
  return { from, outcome: await outcomeOf(runtime, caseId, last) };
}

/** Takes one orphaned case and finishes it; null when another process took it first. */
export async function recoverCase(
  runtime: TriageRuntime,
  caseId: string,
  alertId: string,
): Promise<RecoveredCase | null> {
  const owner = newOwnerId();
  const taken = await runtime.deps.memory.takeCase(caseId, owner, leaseOf(runtime), {
    statuses: [],
    audit: { actor: "engine", event: "case.recovered", caseId, payload: { by: "recover" } },
  });
  if (!taken) return null;
  let from = "?";
  try {
    const done = await owned(runtime, caseId, owner, async () => {
      const result = await continueCase(runtime, caseId);
      from = result.from;
      return result.outcome;
    });
    return { caseId, alertId, from, status: done.status };
  } catch (error) {
    return { caseId, alertId, from, status: "failed", error: describeError(error) };
  }
}

/** Finishes one action run left 'started' outside a running case, under its own key. */
async function finishRun(
  runtime: TriageRuntime,
  run: { idempotencyKey: string; caseId: string; actionId: string; action: unknown },
): Promise<ActionResult> {
  const { deps } = runtime;
  const parsed = proposedActionSchema.safeParse(run.action);
  const at = deps.now().toISOString();
  let result: ActionResult;
  if (!parsed.success) {
    result = {
      actionId: run.actionId,
      status: "failed",
      idempotencyKey: run.idempotencyKey,
      detail: "the proposed action is not on record",
      at,
    };
  } else {
    try {
      const done = await deps.tools.actions.execute(parsed.data, { idempotencyKey: run.idempotencyKey });
      const detail = done.outcome === "already_done" ? `already done: ${done.detail}` : done.detail;
      result = { actionId: run.actionId, status: "executed", idempotencyKey: run.idempotencyKey, detail, at };
    } catch (error) {
      result = {
        actionId: run.actionId,
        status: "failed",
        idempotencyKey: run.idempotencyKey,
        detail: describeError(error),
        at,
      };
    }
  }
  await deps.memory.completeAction(run.caseId, result, {
    actor: "engine",
    event: `action.${result.status}`,
    caseId: run.caseId,
    payload: {
      actionId: run.actionId,
      idempotencyKey: run.idempotencyKey,
      detail: result.detail,
      recovered: true,
    },
  });
  return result;
}

/** `triage recover`: every orphaned case, then every action run still left 'started'. */
export async function recoverAll(
  runtime: TriageRuntime,
  orphans: ReadonlyArray<{ caseId: string; alertId: string }>,
): Promise<RecoveryReport> {
  if (!runtime.deps.interactiveApprovals)
    throw new TriageError("BAD_INPUT", "recovery needs the checkpointer: cases go on from their checkpoints");
  const report: RecoveryReport = { cases: [], actions: [], skipped: [] };
  for (const orphan of orphans) {
    const recovered = await recoverCase(runtime, orphan.caseId, orphan.alertId);
    if (recovered) report.cases.push(recovered);
    else report.skipped.push(orphan.caseId);
  }
  for (const run of await runtime.deps.memory.startedRuns()) {
    const result = await finishRun(runtime, run);
    report.actions.push({
      caseId: run.caseId,
      actionId: run.actionId,
      idempotencyKey: run.idempotencyKey,
      status: result.status,
      detail: result.detail,
    });
  }
  return report;
}
