/**
 * A campaign's blast radius: every copy of each of its messages in every mailbox (the mail search port),
 * every recipient who clicked one of its links (the proxy logs in the SIEM), every reporter; and one
 * quarantine action covering all copies. The action goes through the policy like any other (the
 * blast-radius rules of policies/*.yaml: a wide quarantine waits for a person; a simulation is never
 * contained, in code) and is claimed exactly once under a key of the campaign and its messages, so a new
 * variant makes a new action while re-running the same one is answered from its first run.
 */
import { campaignFingerprintSchema } from "../../tools/analyzers/email/campaign-fingerprint.ts";
import { payloadIndicators } from "../../tools/analyzers/email/campaign-join.ts";
import { TriageError, describeError } from "../../core/errors.ts";
import {
  mailSearchQuerySchema,
  siemQuerySchema,
  type ActionResult,
  type PolicyDecision,
  type ProposedAction,
} from "../../core/domain.ts";
import { REPORTED_MAILBOX } from "../email-file.ts";
import { decideAll } from "../policy/engine.ts";
import { recentExecutions } from "../recent-executions.ts";
import { isApproverAllowed, mayExecute, resolveStatus } from "../policy/gate.ts";
import { idempotencyKey } from "../nodes/run-actions.ts";
import type { TriageRuntime } from "../run-triage.ts";
import type { CampaignRuntime } from "./triage-report.ts";

export interface BlastRadius {
  campaignId: string;
  messageIds: string[];
  copies: Array<{ mailbox: string; messageId: string; folder: string }>;
  /** Recipients whose proxy logs show a request to one of the campaign's payload hosts (not blocked). */
  clicked: string[];
  reporters: string[];
  /** Ports that could not be asked, with why: the radius is then a lower bound. */
  unavailable: string[];
}

const DAY = 86_400_000;

function hostOf(url: string): string | null {
  try {
    return new URL(url.replace(/^sha256:.*/, "")).hostname.toLowerCase() || null;
  } catch {
    return null;
  }
}

export async function blastRadius(runtime: CampaignRuntime, campaignId: string): Promise<BlastRadius> {
  const { tools, organization, now } = runtime.deps;
  const campaign = await runtime.campaigns.get(campaignId);
  const members = await runtime.campaigns.members(campaignId);
  const fingerprints = members.flatMap((m) => {
    const parsed = campaignFingerprintSchema.safeParse(m.fingerprint);
    return parsed.success ? [parsed.data] : [];
  });
  const messageIds = [...new Set(fingerprints.flatMap((f) => (f.messageId ? [f.messageId] : [])))].sort();
  const unavailable: string[] = [];
  const copies: BlastRadius["copies"] = [];
  for (const messageId of messageIds) {
    try {
      const found = await tools.mail.findMessages(mailSearchQuerySchema.parse({ messageId, limit: 1000 }));
      for (const m of found)
        if (m.mailbox !== REPORTED_MAILBOX) copies.push({ mailbox: m.mailbox, messageId, folder: m.folder });
    } catch (error) {
      unavailable.push(`mail search: ${describeError(error)}`);
      break;
    }
  }
  const own = [...organization.internalDomains, ...organization.protectedDomains];
  const hosts = [
    ...new Set(fingerprints.flatMap((f) => payloadIndicators(f, own).flatMap((p) => hostOf(p) ?? []))),
  ].slice(0, 20);
  const clicked = new Set<string>();
  if (hosts.length) {
    try {
      const events = await tools.siem.searchEvents(
        siemQuerySchema.parse({
          dataset: "proxy",
          where: [{ field: "url.domain", op: "in", value: hosts }],
          from: new Date(Date.parse(campaign.createdAt) - 2 * DAY).toISOString(),
          to: new Date(now().getTime() + DAY).toISOString(),
          limit: 1000,
        }),
      );
      for (const e of events) {
        const user = e.fields["user.name"];
        if (e.fields["event.action"] !== "blocked" && typeof user === "string" && user)
          clicked.add(user.toLowerCase());
      }
    } catch (error) {
      unavailable.push(`proxy logs: ${describeError(error)}`);
    }
  }
  return {
    campaignId,
    messageIds,
    copies,
    clicked: [...clicked].sort(),
    reporters: [...new Set(members.flatMap((m) => (m.reporter ? [m.reporter] : [])))].sort(),
    unavailable,
  };
}

export interface Containment {
  radius: BlastRadius;
  action: ProposedAction;
  decision: PolicyDecision;
  result: ActionResult;
}

/**
 * One quarantine of every copy of the campaign, under the policy (or a person's approval, `approvedBy`).
 * Recorded on the campaign's first case, claimed once; each message is pulled under its own sub-key, so
 * a retry after a crash answers already_done for what was done.
 */
export async function containCampaign(
  runtime: CampaignRuntime,
  campaignId: string,
  options: { dryRun: boolean; approvedBy?: string },
): Promise<Containment> {
  const { deps } = runtime;
  const campaign = await runtime.campaigns.get(campaignId);
  if (!campaign.verdict)
    throw new TriageError("CONFLICT", `campaign ${campaignId} has no verdict yet; nothing to contain`);
  const radius = await blastRadius(runtime, campaignId);
  if (!radius.messageIds.length)
    throw new TriageError("BAD_INPUT", `campaign ${campaignId} has no Message-ID to quarantine`);
  const mailboxes = new Set(radius.copies.map((c) => c.mailbox)).size;
  const action: ProposedAction = {
    id: `contain-${radius.messageIds.length}`,
    type: "quarantine_message",
    target: `campaign:${campaignId}`,
    targetKind: "message",
    reason: `Pull every copy of campaign ${campaignId}: ${radius.copies.length} copies of ${radius.messageIds.length} messages in ${mailboxes} mailboxes`,
    blastRadius: Math.max(mailboxes, radius.reporters.length),
    targetTags: [],
    params: { messageIds: radius.messageIds },
    evidenceIds: [],
  };
  const now = deps.now();
  const [decision] = decideAll(deps.policy, [action], campaign.verdict, {
    now,
    recentExecutions: await recentExecutions(deps, [action], now),
  });
  if (!decision) throw new TriageError("INTERNAL", "no policy decision");
  const approval = options.approvedBy
    ? {
        approved: true,
        by: options.approvedBy,
        actionIds: [action.id],
        comment: "",
        at: deps.now().toISOString(),
      }
    : undefined;
  if (
    approval &&
    decision.decision === "require_approval" &&
    !isApproverAllowed(deps.policy, decision, approval.by)
  )
    throw new TriageError(
      "BAD_INPUT",
      `${approval.by} may not approve ${decision.rule}; approvers: ${decision.approvers.join(", ")}`,
    );
  const caseId = campaign.firstCaseId;
  const key = idempotencyKey(
    `campaign:${campaignId}`,
    { ...action, target: radius.messageIds.join(" ") },
    options,
  );
  const at = () => deps.now().toISOString();
  const status = resolveStatus(decision, approval, options.dryRun);
  const result = (s: ActionResult["status"], detail: string): ActionResult => ({
    actionId: action.id,
    status: s,
    idempotencyKey: key,
    detail,
    at: at(),
  });
  await deps.memory.saveActions(
    caseId,
    [action],
    [decision],
    approval
      ? {
          actor: `person:${approval.by}`,
          event: "approval.granted",
          caseId,
          payload: { actionIds: [action.id], campaignId },
        }
      : [],
  );
  if (!mayExecute(decision, approval) || (status !== "dry_run" && status !== "executed")) {
    const r = result(status === "pending_approval" ? "pending_approval" : "denied", decision.reason);
    await deps.memory.audit({
      actor: "engine",
      event: `action.${r.status}`,
      caseId,
      payload: { actionId: action.id, campaignId },
    });
    return { radius, action, decision, result: r };
  }
  const claim = await deps.memory.claimAction(
    caseId,
    action.id,
    key,
    {
      actor: "engine",
      event: "action.started",
      caseId,
      payload: { actionId: action.id, type: action.type, target: action.target, idempotencyKey: key },
    },
    { durable: status !== "dry_run" },
  );
  if (!claim.claimed && (claim.status === "executed" || claim.status === "dry_run"))
    return { radius, action, decision, result: result(claim.status, claim.detail) };
  const outcome =
    status === "dry_run"
      ? result("dry_run", `would quarantine ${radius.copies.length} copies (dry run)`)
      : await pull(runtime, action, radius, key, result);
  await deps.memory.completeAction(caseId, outcome, {
    actor: "engine",
    event: `action.${outcome.status}`,
    caseId,
    payload: { actionId: action.id, campaignId, idempotencyKey: key, detail: outcome.detail },
  });
  return { radius, action, decision, result: outcome };
}

async function pull(
  runtime: TriageRuntime,
  action: ProposedAction,
  radius: BlastRadius,
  key: string,
  result: (s: ActionResult["status"], detail: string) => ActionResult,
): Promise<ActionResult> {
  const { actions } = runtime.deps.tools;
  if (!actions.supports("quarantine_message"))
    return result("failed", `quarantine_message is not supported by ${actions.vendor}`);
  const details: string[] = [];
  for (const messageId of radius.messageIds) {
    try {
      const done = await actions.execute(
        {
          ...action,
          target: messageId,
          blastRadius: radius.copies.filter((c) => c.messageId === messageId).length,
        },
        { idempotencyKey: `${key}:${messageId}` },
      );
      details.push(done.detail);
    } catch (error) {
      return result(
        "failed",
        `${details.length} of ${radius.messageIds.length} pulled; ${messageId}: ${describeError(error)}`,
      );
    }
  }
  return result("executed", details.join("; ").slice(0, 2000));
}
