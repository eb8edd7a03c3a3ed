/**
 * Answering a report that was not investigated: its inherited verdict, the reply to its reporter (through
 * the policy gate, exactly once per verdict revision) and its closing. Each write goes through the
 * asynchronous case-memory port and commits with the audit rows that describe it; the reply's intent (its
 * claim) is durable before the mail port hears of it, so a crash never sends it twice.
 */
import type { ActionResult, Alert, PolicyDecision, ProposedAction, Verdict } from "../../core/domain.ts";
import { describeError } from "../../core/errors.ts";
import { decideAll } from "../policy/engine.ts";
import { recentExecutions } from "../recent-executions.ts";
import { mayExecute, resolveStatus } from "../policy/gate.ts";
import { idempotencyKey } from "../nodes/run-actions.ts";
import { buildReport, type TriageReport } from "../report.ts";
import type { TriageRuntime } from "../run-triage.ts";
import { triageStateSchema, type TriageStateValue } from "../state.ts";
import { renderReply, type ReplyOutcome } from "./replies.ts";

export interface AnswerInput {
  alert: Alert;
  verdict: Verdict;
  outcome: ReplyOutcome;
  campaignId: string;
  /** Reports in the campaign, for the reply's wording. */
  reports: number;
  revision: number;
  dryRun: boolean;
  note: string;
  reporter: string | null;
  /** Runs first and returns the case id (opens the case, or names it). */
  open: () => Promise<string>;
  /** Leave the case's status alone: it waits for a person on actions of its own investigation. */
  keepStatus?: boolean;
  /**
   * Runs last, once the case is closed: marks the reporter answered and keeps the state its report is built
   * from (the case has no graph checkpoint).
   */
  answered: (caseId: string, state: TriageStateValue) => Promise<void>;
}

function replyAction(input: AnswerInput, caseId: string, runtime: TriageRuntime): ProposedAction[] {
  if (!input.reporter) return [];
  const subject = typeof input.alert.raw.subject === "string" ? input.alert.raw.subject : input.alert.title;
  const reply = renderReply(runtime.deps.organization.reporterReplies, input.outcome, {
    subject,
    reporter: input.reporter,
    caseId,
    reports: input.reports,
  });
  return [
    {
      // Its own id per revision: the first report's case keeps its investigation's actions beside it.
      id: `reply-r${input.revision}`,
      type: "notify_reporter",
      target: input.reporter,
      targetKind: "user",
      reason: `Tell ${input.reporter} the outcome (${input.outcome})`,
      blastRadius: 1,
      targetTags: [],
      params: { ...reply, outcome: input.outcome, campaignId: input.campaignId, revision: input.revision },
      evidenceIds: [],
    },
  ];
}

export async function answerReport(
  runtime: TriageRuntime,
  input: AnswerInput,
): Promise<{ caseId: string; report: TriageReport }> {
  const { deps } = runtime;
  const { memory } = deps;
  const at = () => deps.now().toISOString();
  // The revision is part of the action's identity: a revised verdict is a new message to the reporter,
  // the same revision told twice is not.
  const keyScope = `${input.alert.id}#campaign-r${input.revision}`;
  const results: ActionResult[] = [];
  const toRun: Array<{ action: ProposedAction; key: string }> = [];
  const stateOf = (caseId: string, planned: { actions: ProposedAction[]; decisions: PolicyDecision[] }) =>
    triageStateSchema.parse({
      caseId,
      alertId: input.alert.id,
      dryRun: input.dryRun,
      alert: input.alert,
      verdict: input.verdict,
      actions: planned.actions,
      decisions: planned.decisions,
      results,
      notes: [input.note],
    });
  const close = async (caseId: string, state: TriageStateValue) => {
    if (!input.keepStatus) await memory.setStatus(caseId, "closed");
    await input.answered(caseId, state);
  };
  const caseId = await input.open();
  const actions = replyAction(input, caseId, runtime);
  const now = deps.now();
  const decisions = decideAll(deps.policy, actions, input.verdict, {
    now,
    recentExecutions: await recentExecutions(deps, actions, now),
  });
  await memory.saveVerdict(caseId, input.verdict, []);
  await memory.saveActions(caseId, actions, decisions, {
    actor: "engine",
    event: "verdict.inherited",
    caseId,
    payload: {
      campaignId: input.campaignId,
      revision: input.revision,
      disposition: input.verdict.disposition,
    },
  });
  for (const action of actions) {
    const decision = decisions.find((d) => d.actionId === action.id);
    const key = idempotencyKey(keyScope, action, { dryRun: input.dryRun });
    const result = (status: ActionResult["status"], detail: string): ActionResult => ({
      actionId: action.id,
      status,
      idempotencyKey: key,
      detail,
      at: at(),
    });
    const status = decision ? resolveStatus(decision, undefined, input.dryRun) : "denied";
    if (!decision || !mayExecute(decision, undefined) || (status !== "dry_run" && status !== "executed")) {
      const r = result(status === "pending_approval" ? status : "denied", decision?.reason ?? "no decision");
      await memory.audit({
        actor: "engine",
        event: `action.${r.status}`,
        caseId,
        payload: { actionId: action.id },
      });
      results.push(r);
      continue;
    }
    const describe = { actionId: action.id, type: action.type, target: action.target, idempotencyKey: key };
    const claim = await memory.claimAction(
      caseId,
      action.id,
      key,
      { actor: "engine", event: "action.started", caseId, payload: describe },
      { durable: status !== "dry_run" },
    );
    if (!claim.claimed && (claim.status === "executed" || claim.status === "dry_run")) {
      results.push(result(claim.status, claim.detail));
      continue;
    }
    if (status === "dry_run") {
      const r = result("dry_run", `would ${action.type} ${action.target} (dry run)`);
      await memory.completeAction(caseId, r, {
        actor: "engine",
        event: "action.dry_run",
        caseId,
        payload: { ...describe, detail: r.detail },
      });
      results.push(r);
    } else toRun.push({ action, key });
  }
  const planned = { actions, decisions };
  if (!toRun.length) await close(caseId, stateOf(caseId, planned));
  if (toRun.length) {
    const outcomes: ActionResult[] = [];
    for (const { action, key } of toRun) {
      let r: ActionResult;
      if (!deps.tools.actions.supports(action.type))
        r = {
          actionId: action.id,
          status: "failed",
          idempotencyKey: key,
          detail: `${action.type} is not supported by ${deps.tools.actions.vendor}`,
          at: at(),
        };
      else
        try {
          const done = await deps.tools.actions.execute(action, { idempotencyKey: key });
          const detail = done.outcome === "already_done" ? `already done: ${done.detail}` : done.detail;
          r = { actionId: action.id, status: "executed", idempotencyKey: key, detail, at: at() };
        } catch (error) {
          r = {
            actionId: action.id,
            status: "failed",
            idempotencyKey: key,
            detail: describeError(error),
            at: at(),
          };
        }
      outcomes.push(r);
    }
    for (const r of outcomes)
      await memory.completeAction(caseId, r, {
        actor: "engine",
        event: `action.${r.status}`,
        caseId,
        payload: { actionId: r.actionId, idempotencyKey: r.idempotencyKey, detail: r.detail },
      });
    results.push(...outcomes);
    await close(caseId, stateOf(caseId, planned));
  }
  return { caseId, report: buildReport(stateOf(caseId, planned)) };
}
