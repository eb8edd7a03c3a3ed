/**
 * The triage state machine. This is the only file that wires nodes and edges, and that says how each node
 * is retried and bounded in time:
 * (load-alert ∥ recall-cases) → plan-investigation ⇄ run-tools → assess-alert → propose-actions →
 * check-policy → run-actions (what the policy allows) → write-report → [await-approval → run-actions (what
 * a person approved) → write-report].
 */
import {
  END,
  START,
  StateGraph,
  type BaseCheckpointSaver,
  type NodePolicyOptions,
} from "@langchain/langgraph";
import { isSqliteBusy } from "../core/sqlite.ts";
import type { TriageBudget, TriageDeps } from "./deps.ts";
import { assessAlert } from "./nodes/assess-alert.ts";
import { awaitApproval } from "./nodes/await-approval.ts";
import { checkPolicy } from "./nodes/check-policy.ts";
import { loadAlert } from "./nodes/load-alert.ts";
import { planInvestigation, routeAfterPlan } from "./nodes/plan-investigation.ts";
import { proposeActions } from "./nodes/propose-actions.ts";
import { recallCases } from "./nodes/recall-cases.ts";
import { runActions } from "./nodes/run-actions.ts";
import { runTools } from "./nodes/run-tools.ts";
import { routeAfterReport, writeReport } from "./nodes/write-report.ts";
import { TriageState } from "./state.ts";

export interface GraphOptions {
  checkpointer?: BaseCheckpointSaver;
  /**
   * When checkpoints are written (default "exit"): only where a run stops, at the approval interrupt and at
   * the end. A case paused for approval resumes from the interrupt's checkpoint in any process; a process
   * that dies mid-run leaves none, and recovery starts the case again from its alert, its actions keyed by
   * alert, type and target so that nothing runs twice. A checkpoint per node (LangGraph's default) cost
   * about a third of a closed case's time and most of its bytes. "sync" keeps one per node boundary, for
   * the kill trials that die at one.
   */
  durability?: "exit" | "async" | "sync";
}

/**
 * Retries and time limits, node by node. A node-level retry runs the whole node again, so only a node
 * that is safe to repeat gets one, and never for a vendor failure: tool calls are retried in one place
 * (the tool layer), never also here. A node that writes to case memory or the audit log, calls a model
 * (its client retries and times out on its own; a failure falls back to the offline engine) or acts
 * (each action runs once, under its idempotency key) has no node retry. A timeout fails the case with
 * one line; it is set only where every call already has its own limit, as a backstop for an
 * implementation that ignores its abort signal, so it never cuts short a run that would have finished.
 */
export function nodePolicies(budget: TriageBudget) {
  // A round runs its calls toolConcurrency at a time, each bounded by toolTimeoutMs (the tool layer's
  // retries included); one more such limit is the slack for the round's own work.
  const waves = Math.ceil(budget.maxToolCalls / Math.max(1, budget.toolConcurrency));
  const toolRoundMs = (waves + 1) * budget.toolTimeoutMs;
  return {
    /** Writes the alert's evidence and audit row: not repeated. Local work only: no timeout. */
    "load-alert": {},
    /** A read of case memory, safe to repeat: retried when another process held the database too long. */
    "recall-cases": {
      retryPolicy: { maxAttempts: 3, initialInterval: 200, retryOn: isSqliteBusy, logWarning: false },
    },
    /** Calls the model (its client's retries and timeout, then the offline fallback) or the playbook. */
    "plan-investigation": {},
    /** Tool calls: retried by the tool layer alone; bounded per call, and per round as a backstop. */
    "run-tools": { timeout: toolRoundMs },
    /** Calls the model and records the verdict in case memory: not repeated. */
    "assess-alert": {},
    /** Resolves targets through the tools (their own limits) and proposes; a retry would add nothing. */
    "propose-actions": {},
    /** Records decisions and audit rows: not repeated. Pure code over the policy: no timeout. */
    "check-policy": {},
    /** interrupt(): waits for a person, for as long as it takes; it re-runs on resume by design. */
    "await-approval": {},
    /** Side effects, each exactly once under its idempotency key: never retried by the graph. */
    "run-actions": {},
    /** Closes the case in case memory: not repeated. Local work only: no timeout. */
    "write-report": {},
  } satisfies Record<string, NodePolicyOptions>;
}

export function buildTriageGraph(deps: TriageDeps, options: GraphOptions = {}) {
  const policy = nodePolicies(deps.budget);
  const graph = new StateGraph(TriageState)
    .addNode("load-alert", loadAlert(deps), policy["load-alert"])
    .addNode("recall-cases", recallCases(deps), policy["recall-cases"])
    .addNode("plan-investigation", planInvestigation(deps), policy["plan-investigation"])
    .addNode("run-tools", runTools(deps), policy["run-tools"])
    .addNode("assess-alert", assessAlert(deps), policy["assess-alert"])
    .addNode("propose-actions", proposeActions(deps), policy["propose-actions"])
    .addNode("check-policy", checkPolicy(deps), policy["check-policy"])
    .addNode("await-approval", awaitApproval(deps), policy["await-approval"])
    .addNode("run-actions", runActions(deps), policy["run-actions"])
    .addNode("write-report", writeReport(deps), policy["write-report"])
    // Loading the alert and recalling related cases read the same input and write disjoint fields (the
    // alert's evidence; related cases, history and their note): they run side by side in one superstep,
    // and planning waits for both. A superstep costs LangGraph about 0.5 ms of CPU whatever its nodes do.
    .addEdge(START, "load-alert")
    .addEdge(START, "recall-cases")
    .addEdge(["load-alert", "recall-cases"], "plan-investigation")
    .addConditionalEdges("plan-investigation", routeAfterPlan, ["run-tools", "assess-alert"])
    .addEdge("run-tools", "plan-investigation")
    .addEdge("assess-alert", "propose-actions")
    .addEdge("propose-actions", "check-policy")
    .addEdge("check-policy", "run-actions")
    .addEdge("run-actions", "write-report")
    .addConditionalEdges("write-report", routeAfterReport(deps), ["await-approval", END])
    .addEdge("await-approval", "run-actions");
  return graph
    .compile(options.checkpointer ? { checkpointer: options.checkpointer } : {})
    .withConfig({ durability: options.durability ?? "exit" });
}

export type TriageGraph = ReturnType<typeof buildTriageGraph>;
