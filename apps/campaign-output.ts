/** How a reported message's outcome prints: the case report plus the campaign it belongs to. */
import type { CampaignRuntime, ReportOutcome } from "../agent/campaigns/triage-report.ts";
import type { OpenedRuntime } from "../agent/setup.ts";
import { renderReport } from "./render.ts";

/** The runtime with its campaign store, read only when a report needs it. */
export const campaignRuntime = (opened: OpenedRuntime): CampaignRuntime => ({
  ...opened.runtime,
  get campaigns() {
    return opened.campaigns;
  },
});

/** `--json`: the report with `campaign: { id, size, firstCaseId }` (null when the alert is not reported mail). */
export function reportJson(outcome: ReportOutcome): Record<string, unknown> {
  if (!outcome.report)
    return {
      caseId: outcome.caseId,
      status: outcome.status,
      campaign: outcome.campaign,
      joined: outcome.joined,
    };
  return { ...outcome.report, campaign: outcome.campaign, joined: outcome.joined };
}

function campaignLine(outcome: ReportOutcome): string {
  const c = outcome.campaign;
  if (!c) return "";
  const how =
    outcome.joined === "first"
      ? "first report, investigated"
      : outcome.joined === "simulation"
        ? "sanctioned simulation, not investigated"
        : `joined by ${String(outcome.joined).replace(/_/g, " ")}, verdict inherited from ${c.firstCaseId}`;
  return `Campaign ${c.id}: ${c.size} report${c.size === 1 ? "" : "s"} (${how})`;
}

export function renderOutcome(outcome: ReportOutcome): string {
  if (!outcome.report)
    return `Case ${outcome.caseId}  [pending]\n${campaignLine(outcome)}; answered when the first report's verdict is in`;
  const line = campaignLine(outcome);
  return line ? `${renderReport(outcome.report)}\n${line}` : renderReport(outcome.report);
}
