/**
 * The one entry point every surface uses (CLI, Slack, batch): triage an alert, resume a paused case, or
 * read a case's report.
 */
import { Command, type StateSnapshot } from "@langchain/langgraph";
import { describeError, isToolError, isTriageError, TriageError } from "../tools/errors.ts";
import { alertSchema, type Approval } from "../tools/types.ts";
import type { TriageDeps } from "./deps.ts";
import type { TriageGraph } from "./graph.ts";
import { isApproverAllowed } from "./policy/gate.ts";
import { buildReport, type TriageReport } from "./report.ts";
import { triageStateSchema, type TriageStateValue } from "./state.ts";

export interface TriageRuntime {
  deps: TriageDeps;
  graph: TriageGraph;
}

export interface TriageOutcome {
  status: "closed" | "awaiting_approval";
  report: TriageReport;
}

const threadOf = (caseId: string) => ({ configurable: { thread_id: caseId } });

function stateOf(snapshot: StateSnapshot): TriageStateValue {
  return triageStateSchema.parse(snapshot.values);
}

async function outcomeOf(runtime: TriageRuntime, caseId: string, last: unknown): Promise<TriageOutcome> {
  const values = runtime.deps.interactiveApprovals
    ? stateOf(await runtime.graph.getState(threadOf(caseId)))
    : triageStateSchema.parse(last);
  const report = buildReport(values);
  const { memory } = runtime.deps;
  if (report.status === "awaiting_approval")
    memory.transaction(() => {
      memory.setStatus(caseId, "awaiting_approval");
      memory.audit({
        actor: "engine",
        event: "case.awaiting_approval",
        caseId,
        payload: {
          actionIds: report.actions.filter((a) => a.status === "pending_approval").map((a) => a.id),
        },
      });
    });
  else if (runtime.deps.interactiveApprovals) runtime.deps.memory.pruneCheckpoints(caseId);
  return { status: report.status, report };
}

async function guarded<T>(runtime: TriageRuntime, caseId: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const message = describeError(error);
    const { memory } = runtime.deps;
    memory.transaction(() => {
      memory.setStatus(caseId, "failed", { error: message });
      memory.audit({ actor: "engine", event: "case.failed", caseId, payload: { error: message } });
    });
    if (isTriageError(error)) throw error;
    throw new TriageError("INTERNAL", `case ${caseId} failed: ${message}`);
  }
}

/** Triages one alert: a new case, investigated, judged, gated and reported. */
export async function runTriage(
  runtime: TriageRuntime,
  alertId: string,
  options: { dryRun: boolean },
): Promise<TriageOutcome> {
  const { deps } = runtime;
  // Fetch before the case exists, so an unknown or malformed alert leaves nothing behind.
  let fetched: unknown;
  try {
    fetched = await deps.tools.alerts.getAlert(alertId);
  } catch (error) {
    if (isToolError(error) && error.code === "NOT_FOUND") {
      throw new TriageError("NOT_FOUND", `unknown alert id ${alertId} in source ${deps.tools.alerts.name}`);
    }
    throw new TriageError("INTERNAL", `could not fetch alert ${alertId}: ${describeError(error)}`);
  }
  const parsed = alertSchema.safeParse(fetched);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TriageError(
      "BAD_INPUT",
      `alert ${alertId} is malformed: ${issue?.path.join(".") || "alert"}: ${issue?.message ?? "invalid"}`,
    );
  }
  const alert = parsed.data;
  const caseId = deps.memory.transaction(() => {
    const id = deps.memory.createCase(alert, { reasoner: deps.reasoner.name });
    deps.memory.audit({
      actor: "engine",
      event: "case.created",
      caseId: id,
      payload: { alertId, source: alert.source, dryRun: options.dryRun },
    });
    return id;
  });
  return guarded(runtime, caseId, async () => {
    const last = await runtime.graph.invoke(
      { caseId, alertId, alert: parsed.data, dryRun: options.dryRun, startedAt: deps.now().toISOString() },
      threadOf(caseId),
    );
    return outcomeOf(runtime, caseId, last);
  });
}

async function pausedState(runtime: TriageRuntime, caseId: string): Promise<TriageStateValue> {
  const snapshot = await runtime.graph.getState(threadOf(caseId));
  if (Object.keys(snapshot.values ?? {}).length === 0)
    throw new TriageError("NOT_FOUND", `no case ${caseId}`);
  if (!snapshot.next.includes("await-approval")) {
    const state = stateOf(snapshot);
    const status = state.approval
      ? `already ${state.approval.approved ? "approved" : "denied"} by ${state.approval.by}`
      : "not waiting for approval";
    throw new TriageError("CONFLICT", `case ${caseId} is ${status}`);
  }
  return stateOf(snapshot);
}

/** Resumes a paused case with a person's answer, from any process. */
export async function resumeTriage(
  runtime: TriageRuntime,
  caseId: string,
  approval: Approval,
): Promise<TriageOutcome> {
  const state = await pausedState(runtime, caseId);
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
  if (!runtime.deps.memory.claimDecision(caseId)) {
    // Someone else answered between our read of the checkpoint and now; say who, from their checkpoint.
    const latest = stateOf(await runtime.graph.getState(threadOf(caseId)));
    const by = latest.approval
      ? `already ${latest.approval.approved ? "approved" : "denied"} by ${latest.approval.by}`
      : "being answered by someone else";
    throw new TriageError("CONFLICT", `case ${caseId} is ${by}`);
  }
  return guarded(runtime, caseId, async () => {
    const last = await runtime.graph.invoke(new Command({ resume: approval }), threadOf(caseId));
    return outcomeOf(runtime, caseId, last);
  });
}

/** The report of a case from its checkpoint. */
export async function caseReport(runtime: TriageRuntime, caseId: string): Promise<TriageReport> {
  const snapshot = await runtime.graph.getState(threadOf(caseId));
  if (Object.keys(snapshot.values ?? {}).length === 0)
    throw new TriageError("NOT_FOUND", `no case ${caseId}`);
  return buildReport(stateOf(snapshot));
}
