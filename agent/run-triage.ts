/**
 * The one entry point every surface uses (CLI, Slack, batch): triage an alert, resume a paused case, or
 * read a case's report.
 */
import { Command, type StateSnapshot } from "@langchain/langgraph";
import { DEFAULT_LEASE_MS, newOwnerId } from "../memory/case-leases.ts";
import { describeError, isTriageError, TriageError } from "../core/errors.ts";
import type { Alert, Approval } from "../core/domain.ts";
import type { TriageDeps } from "./deps.ts";
import { fetchAlert } from "./fetch-alert.ts";
import type { TriageGraph } from "./graph.ts";
import { isApproverAllowed } from "./policy/gate.ts";
import { buildReport, type TriageReport } from "./report.ts";
import { triageReportSchema } from "./report-schema.ts";
import { triageStateSchema, type TriageStateValue } from "./state.ts";

export interface TriageRuntime {
  deps: TriageDeps;
  graph: TriageGraph;
  /** How long a case's owner holds it without renewing (it renews every third of it while it works). */
  leaseMs?: number;
}

export interface TriageOutcome {
  status: "closed" | "awaiting_approval";
  report: TriageReport;
}

export const threadOf = (caseId: string) => ({ configurable: { thread_id: caseId } });
export const leaseOf = (runtime: TriageRuntime) => runtime.leaseMs ?? DEFAULT_LEASE_MS;

function stateOf(snapshot: StateSnapshot): TriageStateValue {
  return triageStateSchema.parse(snapshot.values);
}

/**
 * The report write-report built into the state. Checkpoints written before the report was part of the
 * state (cases paused or closed by an earlier version) have none: it is built from their state instead.
 */
function reportOf(state: TriageStateValue): TriageReport {
  return state.report ?? buildReport(state);
}

/**
 * What a run came to, from the state its invoke returned: the values of its last superstep, at the end or
 * at the approval interrupt alike (the interrupt's own key is dropped by the schema). Reading them back
 * from the checkpoint just written cost a checkpoint read and its deserialization per case.
 */
export async function outcomeOf(
  runtime: TriageRuntime,
  caseId: string,
  last: unknown,
): Promise<TriageOutcome> {
  const values = triageStateSchema.parse(last);
  const report = reportOf(values);
  const { memory } = runtime.deps;
  if (report.status === "awaiting_approval")
    await memory.setStatus(
      caseId,
      "awaiting_approval",
      {},
      {
        actor: "engine",
        event: "case.awaiting_approval",
        caseId,
        payload: {
          actionIds: report.actions.filter((a) => a.status === "pending_approval").map((a) => a.id),
        },
      },
    );
  else if (runtime.deps.interactiveApprovals) await memory.pruneCheckpoints(caseId, report);
  return { status: report.status, report };
}

/**
 * Runs `run` on a case `owner` holds: the lease is renewed while it works and given up when it is done.
 * A process killed inside leaves the lease to pass (or its pid to vanish): the case is then orphaned and
 * recovery finishes it. Any error fails the case with one line.
 */
export async function owned<T>(
  runtime: TriageRuntime,
  caseId: string,
  owner: string,
  run: () => Promise<T>,
): Promise<T> {
  const { memory } = runtime.deps;
  const stop = memory.heartbeat(caseId, owner, leaseOf(runtime));
  // The run's record commits with its writes that must land at once (claims, statuses): a few
  // transactions per case rather than one per node.
  const record = memory.deferWrites(caseId);
  try {
    const result = await run();
    await record.commit();
    return result;
  } catch (error) {
    const message = describeError(error);
    const failed = () =>
      memory.setStatus(
        caseId,
        "failed",
        { error: message },
        { actor: "engine", event: "case.failed", caseId, payload: { error: message } },
      );
    try {
      await failed();
    } catch {
      // What the case held could not be written (it may be why the run failed): the failure is
      // recorded alone rather than not at all.
      record.discard();
      await failed();
    }
    if (isTriageError(error)) throw error;
    throw new TriageError("INTERNAL", `case ${caseId} failed: ${message}`);
  } finally {
    stop();
    record.discard();
    await memory.releaseCase(caseId, owner);
  }
}

/** Triages one alert: a new case, investigated, judged, gated and reported. */
export async function runTriage(
  runtime: TriageRuntime,
  alertId: string,
  options: { dryRun: boolean; alert?: Alert },
): Promise<TriageOutcome> {
  const { deps } = runtime;
  // Fetch before the case exists, so an unknown or malformed alert leaves nothing behind.
  const alert = options.alert ?? (await fetchAlert(deps, alertId));
  const owner = newOwnerId();
  const caseId = await deps.memory.createCase(
    alert,
    { reasoner: deps.reasoner.name, owner, leaseMs: leaseOf(runtime), dryRun: options.dryRun },
    (id) => ({
      actor: "engine",
      event: "case.created",
      caseId: id,
      payload: { alertId, source: alert.source, dryRun: options.dryRun },
    }),
  );
  // Cases of this alert that a dead process left behind close, pointing here; this case's actions reuse
  // their idempotency keys, so whatever they had started is finished here, not run again.
  const orphans = (await deps.memory.orphanedCases(alertId)).map((o) => o.caseId);
  if (orphans.length) await deps.memory.supersedeCases(orphans, caseId);
  return owned(runtime, caseId, owner, async () => {
    const last = await runtime.graph.invoke(
      { caseId, alertId, alert, dryRun: options.dryRun, startedAt: deps.now().toISOString() },
      threadOf(caseId),
    );
    return outcomeOf(runtime, caseId, last);
  });
}

/** The report a closed case kept in place of its checkpoints, or null. */
async function closedReport(runtime: TriageRuntime, caseId: string): Promise<TriageReport | null> {
  const kept = await runtime.deps.memory.closedReport(caseId);
  return kept === null ? null : triageReportSchema.parse(kept);
}

/** A case's latest checkpoint; a closed case (it kept only its report) is a conflict, not unknown. */
async function snapshotOf(runtime: TriageRuntime, caseId: string): Promise<StateSnapshot> {
  const snapshot = await runtime.graph.getState(threadOf(caseId));
  if (Object.keys(snapshot.values ?? {}).length > 0) return snapshot;
  const closed = await closedReport(runtime, caseId);
  if (closed) throw new TriageError("CONFLICT", `case ${caseId} is ${closedText(closed)}`);
  throw new TriageError("NOT_FOUND", `no case ${caseId}`);
}

function answeredText(state: { approval: { approved: boolean; by: string } | null }): string {
  return state.approval
    ? `already ${state.approval.approved ? "approved" : "denied"} by ${state.approval.by}`
    : "being answered by someone else";
}

function closedText(report: TriageReport): string {
  return report.approval ? answeredText(report) : "not waiting for approval";
}

/**
 * Finishes a case whose answer was given but whose run died before carrying it out (kill -9 while the
 * approved action was in flight): it goes on from its last checkpoint with the recorded answer, and the
 * actions already started are retried under their keys.
 */
async function finishAnswered(runtime: TriageRuntime, caseId: string, state: TriageStateValue) {
  const owner = newOwnerId();
  // 'closed': it died after writing its report but before its last checkpoint; finishing it is harmless.
  const taken = await runtime.deps.memory.takeCase(caseId, owner, leaseOf(runtime), {
    statuses: ["closed"],
    audit: {
      actor: "engine",
      event: "case.recovered",
      caseId,
      payload: { by: "approve", from: "run-actions" },
    },
  });
  if (!taken)
    throw new TriageError(
      "CONFLICT",
      `case ${caseId} is ${answeredText(state)} and another process is carrying it out`,
    );
  return owned(runtime, caseId, owner, async () => {
    const last = await runtime.graph.invoke(null, threadOf(caseId));
    return outcomeOf(runtime, caseId, last);
  });
}

/**
 * Resumes a paused case with a person's answer, from any process. A case answered earlier whose run died
 * before finishing is finished instead of refused.
 */
export async function resumeTriage(
  runtime: TriageRuntime,
  caseId: string,
  approval: Approval,
): Promise<TriageOutcome> {
  const snapshot = await snapshotOf(runtime, caseId);
  const state = stateOf(snapshot);
  if (!snapshot.next.includes("await-approval")) {
    if (state.approval && snapshot.next.length > 0) return finishAnswered(runtime, caseId, state);
    const status = state.approval ? answeredText(state) : "not waiting for approval";
    throw new TriageError("CONFLICT", `case ${caseId} is ${status}`);
  }
  const pending = state.decisions.filter((d) => d.decision === "require_approval");
  const unknown = approval.actionIds.filter((id) => !pending.some((d) => d.actionId === id));
  if (unknown.length)
    throw new TriageError("BAD_INPUT", `case ${caseId} has no pending action ${unknown.join(", ")}`);
  const covered = pending.filter(
    (d) => approval.actionIds.length === 0 || approval.actionIds.includes(d.actionId),
  );
  const refused = covered.find((d) => !isApproverAllowed(runtime.deps.policy, d, approval.by));
  if (refused) {
    throw new TriageError(
      "BAD_INPUT",
      `${approval.by} may not approve ${refused.actionId} (rule ${refused.rule}); approvers: ${refused.approvers.join(", ")}`,
    );
  }
  const { memory } = runtime.deps;
  const owner = newOwnerId();
  // Of two people answering at once (a Slack press and `triage approve`) exactly one takes the case; the
  // answer and its audit row commit with the ownership, so recovery can resume with it after a crash.
  const taken = await memory.takeCase(caseId, owner, leaseOf(runtime), {
    statuses: ["awaiting_approval"],
    approval,
    audit: {
      actor: `person:${approval.by}`,
      event: approval.approved ? "approval.granted" : "approval.denied",
      caseId,
      payload: { actionIds: approval.actionIds, comment: approval.comment },
    },
  });
  if (!taken) {
    // Someone else answered between our read of the checkpoint and now; say who, from their checkpoint
    // (or, once they closed the case, from the report it kept).
    const latest = await runtime.graph.getState(threadOf(caseId));
    const closed = Object.keys(latest.values ?? {}).length === 0 ? await closedReport(runtime, caseId) : null;
    throw new TriageError(
      "CONFLICT",
      `case ${caseId} is ${closed ? closedText(closed) : answeredText(stateOf(latest))}`,
    );
  }
  return owned(runtime, caseId, owner, async () => {
    const last = await runtime.graph.invoke(new Command({ resume: approval }), threadOf(caseId));
    return outcomeOf(runtime, caseId, last);
  });
}

/** The report of a case: the one a closed case kept, else from its checkpoint. */
export async function caseReport(runtime: TriageRuntime, caseId: string): Promise<TriageReport> {
  return (await closedReport(runtime, caseId)) ?? reportOf(stateOf(await snapshotOf(runtime, caseId)));
}
