/**
 * The triage graph's state. Every field is JSON-serializable: the SQLite checkpointer stores it, and a
 * paused case resumes from it in another process.
 */
import { StateSchema } from "@langchain/langgraph";
import { z } from "zod";
import { toolCallSchema } from "../tools/catalog.ts";
import {
  actionResultSchema,
  alertSchema,
  approvalSchema,
  evidenceSchema,
  findingSchema,
  policyDecisionSchema,
  proposedActionSchema,
  verdictSchema,
  observableHistorySchema,
  relatedCaseSchema,
  investigationStepSchema,
} from "../core/domain.ts";

const triageStateFields = {
  caseId: z.string(),
  alertId: z.string(),
  /** True: allowed actions are recorded as dry_run, never executed. Fixed when the case starts. */
  dryRun: z.boolean().default(true),
  startedAt: z.string().default(""),
  alert: alertSchema.nullable().default(null),
  related: z.array(relatedCaseSchema).default([]),
  history: z.array(observableHistorySchema).default([]),
  evidence: z.array(evidenceSchema).default([]),
  steps: z.array(investigationStepSchema).default([]),
  round: z.number().int().default(0),
  pendingCalls: z.array(toolCallSchema).default([]),
  findings: z.array(findingSchema).default([]),
  verdict: verdictSchema.nullable().default(null),
  actions: z.array(proposedActionSchema).default([]),
  decisions: z.array(policyDecisionSchema).default([]),
  approval: approvalSchema.nullable().default(null),
  results: z.array(actionResultSchema).default([]),
  /** Things an analyst should know about the run itself: budgets hit, tool failures, grounding fixes. */
  notes: z.array(z.string()).default([]),
};

export const TriageState = new StateSchema(triageStateFields);
/** The same fields as a plain zod object, to parse a checkpoint's values without a cast. */
export const triageStateSchema = z.object(triageStateFields);

export type TriageStateValue = typeof TriageState.State;
export type TriageStateUpdate = typeof TriageState.Update;
