/** The case report: what the CLI prints, `--json` emits, and Slack cards show. Built from the graph state. */
import type { ActionStatus } from "../core/domain.ts";
import { reportAlert, reportEvidence, reportFinding, reportVerdict } from "../core/report-parts.ts";
import type { TriageReport } from "./report-schema.ts";
import type { TriageStateValue } from "./state.ts";

export type { ReportAction, TriageReport } from "./report-schema.ts";

export function buildReport(state: TriageStateValue): TriageReport {
  const { alert, verdict } = state;
  if (!alert || !verdict) throw new Error(`case ${state.caseId} has no verdict yet`);
  const cited = new Set(verdict.evidenceIds);
  const resultOf = (id: string) => state.results.find((r) => r.actionId === id);
  const waiting = state.decisions.some((d) => d.decision === "require_approval") && !state.approval;
  return {
    caseId: state.caseId,
    alertId: state.alertId,
    status: waiting ? "awaiting_approval" : "closed",
    dryRun: state.dryRun,
    alert: reportAlert(alert),
    verdict: reportVerdict(verdict),
    findings: state.findings.map(reportFinding),
    evidence: state.evidence.map((e) => reportEvidence(e, cited.has(e.id))),
    steps: state.steps.map((s) => ({ ...s })),
    related: state.related.map((r) => ({
      caseId: r.caseId,
      alertId: r.alertId,
      disposition: r.analystDisposition ?? r.disposition ?? null,
      standing: r.confirmedBy ? `confirmed by ${r.confirmedBy}` : "engine verdict, unconfirmed",
      duplicate: r.duplicate,
      shared: r.sharedObservables.map((o) => `${o.type}:${o.value}`),
    })),
    actions: state.actions.map((action) => {
      const decision = state.decisions.find((d) => d.actionId === action.id);
      const result = resultOf(action.id);
      const status: ActionStatus =
        result?.status ?? (decision?.decision === "require_approval" ? "pending_approval" : "denied");
      return {
        id: action.id,
        type: action.type,
        target: action.target,
        targetKind: action.targetKind,
        reason: action.reason,
        blastRadius: action.blastRadius,
        targetTags: action.targetTags,
        decision: decision?.decision ?? "deny",
        rule: decision?.rule ?? "default",
        policyReason: decision?.reason ?? "no decision",
        approvers: decision?.approvers ?? [],
        status,
        detail: result?.detail ?? "",
      };
    }),
    approval: state.approval
      ? { approved: state.approval.approved, by: state.approval.by, at: state.approval.at }
      : null,
    notes: state.notes,
  };
}
