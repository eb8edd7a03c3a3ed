/**
 * The triage state machine. This is the only file that wires nodes and edges:
 * load-alert → recall-cases → plan-investigation ⇄ run-tools → assess-alert → propose-actions →
 * check-policy → run-actions (what the policy allows) → [await-approval → run-actions (what a person
 * approved)] → write-report.
 */
import { END, START, StateGraph, type BaseCheckpointSaver } from "@langchain/langgraph";
import type { TriageDeps } from "./deps.ts";
import { assessAlert } from "./nodes/assess-alert.ts";
import { awaitApproval } from "./nodes/await-approval.ts";
import { checkPolicy } from "./nodes/check-policy.ts";
import { loadAlert } from "./nodes/load-alert.ts";
import { planInvestigation, routeAfterPlan } from "./nodes/plan-investigation.ts";
import { proposeActions } from "./nodes/propose-actions.ts";
import { recallCases } from "./nodes/recall-cases.ts";
import { routeAfterActions, runActions } from "./nodes/run-actions.ts";
import { runTools } from "./nodes/run-tools.ts";
import { writeReport } from "./nodes/write-report.ts";
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

export function buildTriageGraph(deps: TriageDeps, options: GraphOptions = {}) {
  const graph = new StateGraph(TriageState)
    .addNode("load-alert", loadAlert(deps))
    .addNode("recall-cases", recallCases(deps))
    .addNode("plan-investigation", planInvestigation(deps))
    .addNode("run-tools", runTools(deps))
    .addNode("assess-alert", assessAlert(deps))
    .addNode("propose-actions", proposeActions(deps))
    .addNode("check-policy", checkPolicy(deps))
    .addNode("await-approval", awaitApproval(deps))
    .addNode("run-actions", runActions(deps))
    .addNode("write-report", writeReport(deps))
    .addEdge(START, "load-alert")
    .addEdge("load-alert", "recall-cases")
    .addEdge("recall-cases", "plan-investigation")
    .addConditionalEdges("plan-investigation", routeAfterPlan, ["run-tools", "assess-alert"])
    .addEdge("run-tools", "plan-investigation")
    .addEdge("assess-alert", "propose-actions")
    .addEdge("propose-actions", "check-policy")
    .addEdge("check-policy", "run-actions")
    .addConditionalEdges("run-actions", routeAfterActions(deps), ["await-approval", "write-report"])
    .addEdge("await-approval", "run-actions")
    .addEdge("write-report", END);
  return graph
    .compile(options.checkpointer ? { checkpointer: options.checkpointer } : {})
    .withConfig({ durability: options.durability ?? "exit" });
}

export type TriageGraph = ReturnType<typeof buildTriageGraph>;
