/**
 * The one gate every side effect passes. Kept tiny so it is obviously right: an action runs only when the
 * policy allowed it, or the policy asked for a person and that person approved this very action.
 */
import type { ActionStatus, Approval, PolicyDecision } from "../../core/domain.ts";
import type { Policy } from "./schema.ts";

function covers(approval: Approval, actionId: string): boolean {
  return approval.actionIds.length === 0 || approval.actionIds.includes(actionId);
}

export function mayExecute(decision: PolicyDecision, approval: Approval | undefined): boolean {
  if (decision.decision === "allow") return true;
  if (decision.decision === "require_approval")
    return approval?.approved === true && covers(approval, decision.actionId);
  return false;
}

/** What becomes of an action: run (or dry-run), wait for a person, or not at all. */
export function resolveStatus(
  decision: PolicyDecision,
  approval: Approval | undefined,
  dryRun: boolean,
): ActionStatus {
  if (decision.decision === "deny") return "denied";
  if (decision.decision === "require_approval") {
    if (!approval) return "pending_approval";
    if (!approval.approved || !covers(approval, decision.actionId)) return "denied";
  }
  return dryRun ? "dry_run" : "executed";
}

/** Whether `by` may answer for this decision: named in its approvers (groups were expanded), or "*". */
export function isApproverAllowed(_policy: Policy, decision: PolicyDecision, by: string): boolean {
  const who = by.trim().toLowerCase();
  return decision.approvers.some((a) => a === "*" || a.toLowerCase() === who);
}
