import { createHash } from "node:crypto";
import { describeError } from "../../core/errors.ts";
import {
  actionStatusSchema,
  type ActionResult,
  type ActionStatus,
  type PolicyDecision,
  type ProposedAction,
} from "../../core/domain.ts";
import type { TriageDeps } from "../deps.ts";
import { mayExecute, resolveStatus } from "../policy/gate.ts";
import type { TriageStateUpdate, TriageStateValue } from "../state.ts";

/**
 * Same alert, same action type, same target: same key, whichever case or worker runs it. A case that
 * replaces a dead worker's case for the alert reuses its keys, so the vendor sees the action once. A dry
 * run has its own keys: rehearsing an action must not count as having done it.
 */
export function idempotencyKey(
  alertId: string,
  action: ProposedAction,
  options: { dryRun: boolean },
): string {
  return createHash("sha256")
    .update(`${options.dryRun ? "dry-run\n" : ""}${alertId}\n${action.type}\n${action.target}`)
    .digest("hex")
    .slice(0, 32);
}

/** Outcomes any later case of the alert reports instead of acting again. */
const settled = new Set<string>(["executed", "dry_run"]);
/** Outcomes final within their own case; a later case of the alert tries again. */
const finalInCase = new Set<string>(["failed", "denied"]);

async function runOne(
  deps: TriageDeps,
  state: TriageStateValue,
  action: ProposedAction,
  decision: PolicyDecision | undefined,
): Promise<ActionResult & { audited?: true }> {
  const key = idempotencyKey(state.alertId, action, { dryRun: state.dryRun });
  const at = () => deps.now().toISOString();
  const result = (status: ActionStatus, detail: string): ActionResult => ({
    actionId: action.id,
    status,
    idempotencyKey: key,
    detail,
    at: at(),
  });
  if (!decision) return result("denied", "no policy decision (default deny)");

  const planned = resolveStatus(decision, state.approval ?? undefined, state.dryRun);
  if (planned !== "dry_run" && planned !== "executed") {
    return result(
      planned,
      planned === "denied" ? decision.reason || "denied by policy" : "waiting for approval",
    );
  }
  // The one gate every side effect passes: policy allow, or a person's approval of this action.
  if (!mayExecute(decision, state.approval ?? undefined)) return result("denied", "not allowed by policy");

  // The intent is durable before the vendor hears of it: a crash from here on leaves the run 'started',
  // and whoever finishes the case (recover, a later approve, a batch takeover) comes back here.
  const describe = { actionId: action.id, type: action.type, target: action.target, idempotencyKey: key };
  // A dry run touches nothing: its intent needs no audit row of its own, the action.dry_run row says all.
  const claim = await deps.memory.claimAction(
    state.caseId,
    action.id,
    key,
    planned === "dry_run"
      ? undefined
      : { actor: "engine", event: "action.started", caseId: state.caseId, payload: describe },
    { durable: planned !== "dry_run" },
  );
  if (!claim.claimed) {
    const earlier = actionStatusSchema.safeParse(claim.status);
    if (earlier.success) {
      if (settled.has(earlier.data)) return result(earlier.data, claim.detail);
      if (finalInCase.has(earlier.data) && claim.caseId === state.caseId)
        return result(earlier.data, claim.detail);
    }
    // Left at 'started' by a crash: it runs again below under the same key, and the responder answers
    // already_done if the first attempt reached it.
  }
  let outcome: ActionResult;
  if (planned === "dry_run") {
    outcome = result("dry_run", `would ${action.type} ${action.target} (dry run)`);
  } else if (!deps.tools.actions.supports(action.type)) {
    outcome = result("failed", `${action.type} is not supported by ${deps.tools.actions.vendor}`);
  } else {
    try {
      // A claim left at "started" by a crash comes here again: the responder is idempotent on the key.
      const done = await deps.tools.actions.execute(action, { idempotencyKey: key });
      outcome = result(
        "executed",
        done.outcome === "already_done" ? `already done: ${done.detail}` : done.detail,
      );
    } catch (error) {
      outcome = result("failed", describeError(error));
    }
  }
  await deps.memory.completeAction(state.caseId, outcome, {
    actor: "engine",
    event: `action.${outcome.status}`,
    caseId: state.caseId,
    payload: { ...describe, detail: outcome.detail },
  });
  return { ...outcome, audited: true };
}

/**
 * Runs what the policy allowed or a person approved, each exactly once, and records everything else. It
 * runs twice when a person is asked: first for what the policy allowed on its own (a quarantine need not
 * wait for a password-reset approval), then, after the answer, for the actions that waited.
 */
export const runActions =
  (deps: TriageDeps) =>
  async (state: TriageStateValue): Promise<TriageStateUpdate> => {
    const results: ActionResult[] = [];
    for (const action of state.actions) {
      const earlier = state.results.find((r) => r.actionId === action.id);
      if (earlier && earlier.status !== "pending_approval") {
        results.push(earlier);
        continue;
      }
      const decision = state.decisions.find((d) => d.actionId === action.id);
      const { audited, ...outcome } = await runOne(deps, state, action, decision);
      results.push(outcome);
      if (audited || earlier?.status === outcome.status) continue;
      await deps.memory.audit({
        actor: "engine",
        event: `action.${outcome.status}`,
        caseId: state.caseId,
        payload: { actionId: action.id, type: action.type, target: action.target, detail: outcome.detail },
      });
    }
    return { results };
  };
