/**
 * Triage of a reported message as part of a campaign. Before any investigation the message is
 * fingerprinted and looked up: a report of a known campaign becomes a case that inherits the campaign's
 * verdict (no graph run, a few indexed reads); a sanctioned simulation closes as `simulation`; anything
 * else is investigated by the graph and starts a campaign. Reporters are answered through the policy
 * gate and the exactly-once action runs, each time the campaign's verdict is set or revised.
 */
import { parseEmail } from "../../tools/analyzers/email/parse.ts";
import {
  campaignFingerprint,
  campaignFingerprintSchema,
  type CampaignFingerprint,
} from "../../tools/analyzers/email/campaign-fingerprint.ts";
import { campaignKeys, joinReason, type JoinReason } from "../../tools/analyzers/email/campaign-join.ts";
import { detectSimulation, type SimulationMatch } from "../../tools/analyzers/email/simulation.ts";
import type { Campaign, CampaignStore } from "../../memory/campaigns.ts";
import { outcomeOf } from "../../memory/campaigns.ts";
import { alertSchema, verdictSchema, type Alert, type Disposition, type Verdict } from "../../core/domain.ts";
import type { TriageReport } from "../report.ts";
import { fetchAlert } from "../fetch-alert.ts";
import { runTriage, type TriageOutcome, type TriageRuntime } from "../run-triage.ts";
import { answerReport } from "./answer.ts";

export interface CampaignRef {
  id: string;
  size: number;
  firstCaseId: string;
}

export interface ReportOutcome {
  caseId: string;
  /** `pending`: joined a campaign whose first report is still being investigated; answered when it is. */
  status: TriageOutcome["status"] | "pending";
  report: TriageReport | null;
  campaign: CampaignRef | null;
  /** How the report joined (message_id, body_hash, payload, near_duplicate), or "first" / "simulation". */
  joined: JoinReason | "first" | "simulation" | null;
  /** For a report that joined: ms from the start of its triage to its campaign found (fetch, parse, lookup). */
  lookupMs?: number;
}

export interface CampaignRuntime extends TriageRuntime {
  campaigns: CampaignStore;
}

/** The alert a case was opened with, as case memory keeps it. */
async function alertOfCase(runtime: TriageRuntime, caseId: string): Promise<Alert | null> {
  const parsed = alertSchema.safeParse((await runtime.deps.memory.openedWith(caseId)).alert);
  return parsed.success ? parsed.data : null;
}

const refOf = (c: Campaign): CampaignRef => ({ id: c.id, size: c.size, firstCaseId: c.firstCaseId });

/** The message behind an email alert (a reported file, or a lab or vendor mailbox), or null. */
async function messageOf(runtime: TriageRuntime, alert: Alert): Promise<string | null> {
  const mailbox = alert.raw.mailbox;
  const id = alert.raw.mailId;
  if (alert.family !== "email" || typeof mailbox !== "string" || typeof id !== "string") return null;
  try {
    return await runtime.deps.tools.mail.getRawMessage(mailbox, id);
  } catch {
    // The investigation fetches it again and reports the failure properly; grouping just does not apply.
    return null;
  }
}

function reporterOf(alert: Alert): string | null {
  const named = alert.raw.reporter ?? alert.raw.reportedBy;
  if (typeof named === "string" && named.includes("@")) return named.toLowerCase();
  const observed = alert.observables.find((o) => o.role === "reporter" && o.type === "email");
  return observed?.value ?? null;
}

/** The campaign the fingerprint joins under the join rule, and why. */
export async function findCampaign(
  store: CampaignStore,
  fp: CampaignFingerprint,
  ownDomains: readonly string[],
): Promise<{ campaign: Campaign; reason: JoinReason; matched: string } | null> {
  for (const candidate of await store.candidates(campaignKeys(fp))) {
    const member = campaignFingerprintSchema.safeParse(candidate.fingerprint);
    if (!member.success) continue;
    const payloadJoins = candidate.outcome === "phishing" || candidate.outcome === "suspicious";
    const reason = joinReason(fp, member.data, { payloadJoins, ownDomains });
    if (reason) return { campaign: await store.get(candidate.campaignId), reason, matched: candidate.caseId };
  }
  return null;
}

function inheritedVerdict(campaign: Campaign, verdict: Verdict, reason: string): Verdict {
  return {
    ...verdict,
    summary: `Report of campaign ${campaign.id} (${reason.replace(/_/g, " ")}): ${verdict.summary}`.slice(
      0,
      2000,
    ),
    rationale: [
      `Same attack as case ${campaign.firstCaseId}: verdict inherited from the campaign, not re-investigated`,
      ...verdict.rationale,
    ].slice(0, 20),
    evidenceIds: [],
  };
}

function simulationVerdict(match: SimulationMatch): Verdict {
  return {
    disposition: "benign",
    confidence: 0.99,
    severity: "informational",
    category: "phishing_simulation",
    attack: [],
    summary: `Sanctioned phishing simulation (${match.platform.replace(/_/g, " ")}: ${match.evidence})`,
    rationale: [`Simulation mark: ${match.evidence}`, "A simulation is closed, never contained"],
    evidenceIds: [],
    findingIds: [],
    reasoner: "campaign",
  };
}

function openCase(runtime: CampaignRuntime, alert: Alert, dryRun: boolean): Promise<string> {
  return runtime.deps.memory.createCase(alert, { reasoner: "campaign", dryRun }, (id) => ({
    actor: "engine",
    event: "case.created",
    caseId: id,
    payload: { alertId: alert.id, source: alert.source, dryRun },
  }));
}

/** Answers every report of the campaign whose reporter has not heard its current verdict. */
export async function settleCampaign(
  runtime: CampaignRuntime,
  campaignId: string,
  options: { dryRun: boolean },
): Promise<number> {
  const campaign = await runtime.campaigns.get(campaignId);
  if (!campaign.verdict) return 0;
  let answered = 0;
  for (const member of await runtime.campaigns.unanswered(campaignId)) {
    const alert = await alertOfCase(runtime, member.caseId);
    if (!alert) continue;
    const note =
      member.caseId === campaign.firstCaseId
        ? `Campaign ${campaign.id} verdict revised (revision ${campaign.revision})`
        : `Report of campaign ${campaign.id}: verdict of case ${campaign.firstCaseId}, revision ${campaign.revision}`;
    await answerReport(runtime, {
      alert,
      verdict: inheritedVerdict(campaign, campaign.verdict, member.reason),
      outcome: outcomeOf(campaign.verdict),
      campaignId: campaign.id,
      reports: campaign.size,
      revision: campaign.revision,
      dryRun: options.dryRun,
      note,
      reporter: member.reporter ?? reporterOf(alert),
      open: () => Promise.resolve(member.caseId),
      keepStatus: member.caseStatus === "awaiting_approval",
      answered: async (caseId, state) => {
        await runtime.campaigns.markAnswered(caseId, campaign.revision);
        await runtime.campaigns.saveAnswered(caseId, state);
      },
    });
    answered++;
  }
  return answered;
}

/**
 * Triage of one reported message with campaign grouping: join and inherit, close a simulation, or
 * investigate and start a campaign. Alerts that are not reported mail run the graph as before.
 */
export async function triageReport(
  runtime: CampaignRuntime,
  alertId: string,
  options: { dryRun: boolean },
): Promise<ReportOutcome> {
  const { deps, campaigns } = runtime;
  const started = performance.now();
  const alert = await fetchAlert(deps, alertId);
  const raw = await messageOf(runtime, alert);
  if (raw === null) {
    const outcome = await runTriage(runtime, alertId, { dryRun: options.dryRun, alert });
    return { caseId: outcome.report.caseId, ...outcome, campaign: null, joined: null };
  }
  const facts = await parseEmail(raw);
  const fp = campaignFingerprint(facts);
  const entry = { keys: campaignKeys(fp), fingerprint: fp };
  const reporter = reporterOf(alert);
  const own = [...deps.organization.internalDomains, ...deps.organization.protectedDomains];
  const found = await findCampaign(campaigns, fp, own);

  if (found) {
    const lookupMs = performance.now() - started;
    const { campaign } = found;
    const note = `Report ${campaign.size + 1} of campaign ${campaign.id}: joined by ${found.reason.replace(/_/g, " ")}, not re-investigated`;
    const join = async (): Promise<string> => {
      const id = await openCase(runtime, alert, options.dryRun);
      await campaigns.attach(campaign.id, id, entry, {
        reporter,
        reason: found.reason,
        matched: found.matched,
      });
      return id;
    };
    const ref = { id: campaign.id, size: campaign.size + 1, firstCaseId: campaign.firstCaseId };
    if (!campaign.verdict) {
      const caseId = await join();
      return { caseId, status: "pending", report: null, campaign: ref, joined: found.reason, lookupMs };
    }
    const { caseId, report } = await answerReport(runtime, {
      alert,
      verdict: inheritedVerdict(campaign, campaign.verdict, found.reason),
      outcome: outcomeOf(campaign.verdict),
      campaignId: campaign.id,
      reports: ref.size,
      revision: campaign.revision,
      dryRun: options.dryRun,
      note,
      reporter,
      open: join,
      answered: async (id, state) => {
        await campaigns.markAnswered(id, campaign.revision);
        await campaigns.saveAnswered(id, state);
      },
    });
    return { caseId, status: report.status, report, campaign: ref, joined: found.reason, lookupMs };
  }

  const simulation = detectSimulation(facts, deps.organization);
  if (simulation?.sanctioned) {
    const verdict = simulationVerdict(simulation);
    let campaignId = "";
    const { caseId, report } = await answerReport(runtime, {
      alert,
      verdict,
      outcome: "simulation",
      campaignId: "",
      reports: 1,
      revision: 1,
      dryRun: options.dryRun,
      note: "Sanctioned phishing simulation: closed without investigation, never contained",
      reporter,
      open: async () => {
        const id = await openCase(runtime, alert, options.dryRun);
        campaignId = await campaigns.create(id, entry, reporter);
        await campaigns.setVerdict(campaignId, verdict, "engine");
        return id;
      },
      answered: async (id, state) => {
        await campaigns.markAnswered(id, 1);
        await campaigns.saveAnswered(id, state);
      },
    });
    return {
      caseId,
      status: report.status,
      report,
      campaign: refOf(await campaigns.get(campaignId)),
      joined: "simulation",
    };
  }

  const outcome = await runTriage(runtime, alertId, { dryRun: options.dryRun, alert });
  const caseId = outcome.report.caseId;
  const campaignId = await campaigns.create(caseId, entry, reporter);
  const revision = await campaigns.setVerdict(campaignId, verdictOf(outcome.report), "engine");
  // The investigation's own actions told this reporter; reports that joined meanwhile are told now.
  await campaigns.markAnswered(caseId, revision);
  await settleCampaign(runtime, campaignId, options);
  return { caseId, ...outcome, campaign: refOf(await campaigns.get(campaignId)), joined: "first" };
}

/** The verdict in a report, as the campaign stores it (the report's model and prompt details dropped). */
function verdictOf(report: TriageReport): Verdict {
  const { model: _model, ...verdict } = report.verdict;
  return verdictSchema.parse(verdict);
}

/**
 * A person's revision of a campaign's verdict (feedback on any of its reports): every report gets the
 * person's word as feedback, and every reporter is told the new outcome.
 */
export async function reviseCampaign(
  runtime: CampaignRuntime,
  campaignId: string,
  revision: { disposition: Disposition; by: string; comment: string },
  options: { dryRun: boolean; recordFeedback: (caseId: string) => void | Promise<void> },
): Promise<{ campaign: CampaignRef; answered: number }> {
  const { campaigns } = runtime;
  const campaign = await campaigns.get(campaignId);
  const base = campaign.verdict;
  const category =
    revision.disposition === "benign" && base?.category !== "phishing_simulation"
      ? "other"
      : (base?.category ?? "other");
  const verdict: Verdict = {
    disposition: revision.disposition,
    confidence: 1,
    severity: revision.disposition === "malicious" ? (base?.severity ?? "high") : "low",
    category,
    attack: revision.disposition === "malicious" ? (base?.attack ?? []) : [],
    summary: `Revised by ${revision.by}: ${revision.disposition}${revision.comment ? ` (${revision.comment})` : ""}`,
    rationale: [`${revision.by} revised the campaign's verdict`, ...(base ? [`Was: ${base.summary}`] : [])],
    evidenceIds: [],
    findingIds: [],
    reasoner: `person:${revision.by}`,
  };
  await campaigns.setVerdict(campaignId, verdict, `person:${revision.by}`);
  for (const member of await campaigns.members(campaignId)) await options.recordFeedback(member.caseId);
  const answered = await settleCampaign(runtime, campaignId, options);
  return { campaign: refOf(await campaigns.get(campaignId)), answered };
}
