/**
 * The parts of a closed case's report that repeat the case's rows, rebuilt from them with the builders
 * agent/report.ts uses on the graph state (core/report-parts.ts): the evidence list and the steps
 * (evidence and steps rows), the verdict and its findings (verdicts row), the alert's summary (alerts row).
 * memory/case-reports.ts keeps a report without a part only when this rebuilds it byte for byte: should
 * the rows differ from the state (redacted arguments, a call run again), the report is kept whole, never
 * changed (apps/kept-reports.test.ts fails on real triage runs if rebuilding stops matching).
 */
import { z } from "zod";
import {
  type Alert,
  type Finding,
  type InvestigationStep,
  type Verdict,
  alertSchema,
  findingSchema,
  verdictSchema,
} from "../core/domain.ts";
import { ALERT_EVIDENCE_ID } from "../core/ids.ts";
import { reportAlert, reportEvidence, reportFinding, reportVerdict } from "../core/report-parts.ts";
import { alertRowOf, evidenceEntriesOf, stepRowsOf, verdictRowOf, type EvidenceEntry } from "./case-rows.ts";
import type { SqlExecutor } from "./sql/driver.ts";

/** A report as an object, its keys in their order (agent/report-schema.ts owns its shape). */
export const reportObjectSchema = z.record(z.string(), z.unknown());
export type ReportObject = z.infer<typeof reportObjectSchema>;

/** Which parts a kept report leaves to the rows: a bit each, stored in case_reports.from_rows. */
export const FROM_ROWS = { evidenceAndSteps: 1, verdictAndFindings: 2, alert: 4 } as const;

/** What the rows hold of one case. */
export interface CaseRows {
  evidence: EvidenceEntry[];
  steps: InvestigationStep[];
  verdict: { verdict: Verdict; findings: Finding[] } | null;
  alert: Alert | null;
}

/** The rows of `caseId` a report repeats; a verdict or alert that does not parse counts as missing. */
export async function caseRowsOf(sql: SqlExecutor, caseId: string): Promise<CaseRows> {
  const stored = await verdictRowOf(sql, caseId);
  const alert = alertSchema.safeParse(await alertRowOf(sql, caseId));
  const verdict = verdictSchema.safeParse(stored?.verdict);
  const findings = z.array(findingSchema).safeParse(stored?.findings);
  return {
    evidence: await evidenceEntriesOf(sql, caseId),
    steps: await stepRowsOf(sql, caseId),
    verdict: verdict.success && findings.success ? { verdict: verdict.data, findings: findings.data } : null,
    alert: alert.success ? alert.data : null,
  };
}

const citedSchema = z.object({ verdict: z.object({ evidenceIds: z.array(z.string()) }) });

/**
 * `report` with the parts named by `parts` (FROM_ROWS bits) rebuilt from `rows`, each in its place; null
 * when the rows lack a part. The evidence list is the alert's evidence, then each step's in step order,
 * each cited or not by the verdict.
 */
export function withRows(report: ReportObject, parts: number, rows: CaseRows): ReportObject | null {
  const rebuilt: ReportObject = { ...report };
  if (parts & FROM_ROWS.alert) {
    if (rows.alert === null) return null;
    rebuilt.alert = reportAlert(rows.alert);
  }
  if (parts & FROM_ROWS.verdictAndFindings) {
    if (rows.verdict === null) return null;
    rebuilt.verdict = reportVerdict(rows.verdict.verdict);
    rebuilt.findings = rows.verdict.findings.map(reportFinding);
  }
  if (parts & FROM_ROWS.evidenceAndSteps) {
    const verdict = citedSchema.safeParse(rebuilt);
    if (!verdict.success) return null;
    const cited = new Set(verdict.data.verdict.evidenceIds);
    const byId = new Map(rows.evidence.map((e) => [e.id, e]));
    const order = new Set([ALERT_EVIDENCE_ID, ...rows.steps.map((s) => s.evidenceId), ...byId.keys()]);
    rebuilt.evidence = [...order].flatMap((id) => {
      const e = byId.get(id);
      return e === undefined ? [] : [reportEvidence(e, cited.has(e.id))];
    });
    rebuilt.steps = rows.steps;
  }
  return rebuilt;
}

/** `report` with the parts named by `parts` emptied, their keys left in place. */
export function withoutParts(report: ReportObject, parts: number): ReportObject {
  return {
    ...report,
    ...(parts & FROM_ROWS.alert ? { alert: null } : {}),
    ...(parts & FROM_ROWS.verdictAndFindings ? { verdict: null, findings: [] } : {}),
    ...(parts & FROM_ROWS.evidenceAndSteps ? { evidence: [], steps: [] } : {}),
  };
}
