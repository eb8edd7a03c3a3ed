/**
 * The case report's shape: what the CLI prints, `--json` emits and Slack cards show. write-report builds
 * it into the graph state, so the checkpoint holds it. Keys are in the order the report is built and
 * printed: parsing returns them in this order, and `--json` must not change.
 */
import { z } from "zod";
import {
  actionStatusSchema,
  investigationStepSchema,
  modelUsageSchema,
  policyDecisionValueSchema,
  type ReportStatus,
} from "../core/domain.ts";

const reportStatusSchema = z.enum(["awaiting_approval", "closed"] satisfies ReportStatus[]);
const argsSchema = z.record(z.string(), z.unknown());

export const reportActionSchema = z.object({
  id: z.string(),
  type: z.string(),
  target: z.string(),
  targetKind: z.string(),
  reason: z.string(),
  blastRadius: z.number(),
  targetTags: z.array(z.string()),
  decision: policyDecisionValueSchema,
  rule: z.string(),
  policyReason: z.string(),
  approvers: z.array(z.string()),
  status: actionStatusSchema,
  detail: z.string(),
});
export type ReportAction = z.infer<typeof reportActionSchema>;

export const triageReportSchema = z.object({
  caseId: z.string(),
  alertId: z.string(),
  status: reportStatusSchema,
  dryRun: z.boolean(),
  alert: z.object({
    id: z.string(),
    source: z.string(),
    family: z.string(),
    type: z.string(),
    title: z.string(),
    severity: z.string(),
    createdAt: z.string(),
  }),
  verdict: z.object({
    disposition: z.string(),
    confidence: z.number(),
    severity: z.string(),
    category: z.string(),
    attack: z.array(z.string()),
    summary: z.string(),
    rationale: z.array(z.string()),
    evidenceIds: z.array(z.string()),
    reasoner: z.string(),
    model: modelUsageSchema.extend({ prompts: z.record(z.string(), z.string()) }).optional(),
    /** The tools the investigation needed but could not use: the verdict rests on partial evidence. */
    incomplete: z.object({ failedTools: z.array(z.string()), reasons: z.array(z.string()) }).optional(),
    maliciousProbability: z.number().optional(),
  }),
  findings: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      detail: z.string(),
      weight: z.number(),
      evidenceIds: z.array(z.string()),
    }),
  ),
  evidence: z.array(
    z.object({ id: z.string(), tool: z.string(), args: argsSchema, summary: z.string(), cited: z.boolean() }),
  ),
  /** In the state's own order of keys (the report copies each step). */
  steps: z.array(investigationStepSchema),
  related: z.array(
    z.object({
      caseId: z.string(),
      alertId: z.string(),
      disposition: z.string().nullable(),
      /** "confirmed by alice", or "engine verdict, unconfirmed": whose word the disposition is. */
      standing: z.string(),
      duplicate: z.boolean(),
      shared: z.array(z.string()),
    }),
  ),
  actions: z.array(reportActionSchema),
  approval: z.object({ approved: z.boolean(), by: z.string(), at: z.string() }).nullable(),
  notes: z.array(z.string()),
});
export type TriageReport = z.infer<typeof triageReportSchema>;
