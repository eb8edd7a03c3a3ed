/**
 * The triage graph's state. Every field is JSON-serializable: the SQLite checkpointer stores it, and a
 * paused case resumes from it in another process. Evidence, steps, notes and model usage accumulate
 * through reducers: a node returns only what it adds, and the graph, not the node, keeps the run's record.
 */
import { ReducedValue, StateSchema } from "@langchain/langgraph";
import { z } from "zod";
import { toolCallSchema } from "../tools/catalog.ts";
import {
  actionResultSchema,
  addModelUsage,
  alertSchema,
  approvalSchema,
  evidenceSchema,
  findingSchema,
  modelUsageSchema,
  noModelUsage,
  policyDecisionSchema,
  proposedActionSchema,
  verdictSchema,
  observableHistorySchema,
  relatedCaseSchema,
  investigationStepSchema,
} from "../core/domain.ts";
import { triageReportSchema } from "./report-schema.ts";

const evidenceList = z.array(evidenceSchema).default([]);
const stepList = z.array(investigationStepSchema).default([]);
const noteList = z.array(z.string()).default([]);
const usageTotal = modelUsageSchema.default(noModelUsage);

const triageStateFields = {
  caseId: z.string(),
  alertId: z.string(),
  /** True: allowed actions are recorded as dry_run, never executed. Fixed when the case starts. */
  dryRun: z.boolean().default(true),
  startedAt: z.string().default(""),
  alert: alertSchema.nullable().default(null),
  related: z.array(relatedCaseSchema).default([]),
  history: z.array(observableHistorySchema).default([]),
  evidence: evidenceList,
  steps: stepList,
  round: z.number().int().default(0),
  pendingCalls: z.array(toolCallSchema).default([]),
  findings: z.array(findingSchema).default([]),
  verdict: verdictSchema.nullable().default(null),
  actions: z.array(proposedActionSchema).default([]),
  decisions: z.array(policyDecisionSchema).default([]),
  approval: approvalSchema.nullable().default(null),
  results: z.array(actionResultSchema).default([]),
  /** Things an analyst should know about the run itself: budgets hit, tool failures, grounding fixes. */
  notes: noteList,
  /** Model calls and tokens of the whole run, across planning rounds, assessment and resumes. */
  usage: usageTotal,
  /** The report as write-report last built it: "awaiting_approval" while paused, "closed" at the end. */
  report: triageReportSchema.nullable().default(null),
};

/** A list a node adds to: it returns the new items, and the reducer appends them. */
function appended<Item>(list: z.ZodDefault<z.ZodArray<z.ZodType<Item>>>) {
  return new ReducedValue(list, {
    inputSchema: list.unwrap(),
    reducer: (current: Item[], added: Item[]) => [...current, ...added],
  });
}

export const TriageState = new StateSchema({
  ...triageStateFields,
  evidence: appended(evidenceList),
  steps: appended(stepList),
  notes: appended(noteList),
  usage: new ReducedValue(usageTotal, { reducer: addModelUsage }),
});
/** The same fields as a plain zod object, to parse a checkpoint's values without a cast. */
export const triageStateSchema = z.object(triageStateFields);

export type TriageStateValue = typeof TriageState.State;
export type TriageStateUpdate = typeof TriageState.Update;
