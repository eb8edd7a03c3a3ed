/**
 * The parts of a case report copied from the case's own records: the alert's summary, the verdict, its
 * findings and an evidence entry. agent/report.ts builds a report from the graph state with them, and
 * memory/report-rows.ts rebuilds a kept report's parts from the rows with them; one builder, so the two
 * cannot drift apart. Keys are in the order the report is printed and `--json` emits them.
 */
import type { Alert, Evidence, Finding, Verdict } from "./domain.ts";

export function reportAlert(alert: Alert) {
  return {
    id: alert.id,
    source: alert.source,
    family: alert.family,
    type: alert.type,
    title: alert.title,
    severity: alert.severity,
    createdAt: alert.createdAt,
  };
}

export function reportVerdict(verdict: Verdict) {
  return {
    disposition: verdict.disposition,
    confidence: verdict.confidence,
    severity: verdict.severity,
    category: verdict.category,
    attack: verdict.attack,
    summary: verdict.summary,
    rationale: verdict.rationale,
    evidenceIds: verdict.evidenceIds,
    reasoner: verdict.reasoner,
    ...(verdict.model ? { model: verdict.model } : {}),
    ...(verdict.incomplete ? { incomplete: verdict.incomplete } : {}),
    ...(verdict.maliciousProbability === undefined
      ? {}
      : { maliciousProbability: verdict.maliciousProbability }),
  };
}

export function reportFinding(finding: Finding) {
  return {
    id: finding.id,
    title: finding.title,
    detail: finding.detail,
    weight: finding.weight,
    evidenceIds: finding.evidenceIds,
  };
}

/** An evidence entry without its data, and whether the verdict cites it. */
export function reportEvidence(evidence: Pick<Evidence, "id" | "tool" | "args" | "summary">, cited: boolean) {
  return { id: evidence.id, tool: evidence.tool, args: evidence.args, summary: evidence.summary, cited };
}
