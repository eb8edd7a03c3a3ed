/**
 * Decides each proposed action from the policy: every matching rule applies and the most restrictive wins
 * (deny > require_approval > allow); no matching rule means deny. Rate limits turn an allow into a
 * require_approval once the window's budget is spent, counting earlier allows in the same batch.
 */
import type { PolicyDecision, PolicyDecisionValue, ProposedAction, Verdict } from "../../core/domain.ts";
import type { Policy, PolicyRule, RuleCondition } from "./schema.ts";

export interface DecisionContext {
  now: Date;
  /** Executions (not dry runs) of an action type in the last `sinceMinutesAgo` minutes. */
  recentExecutions: (type: string, sinceMinutesAgo: number) => number;
}

const STRICTNESS: Record<PolicyDecisionValue, number> = { allow: 0, require_approval: 1, deny: 2 };

/** Why a condition holds, or null when it does not. */
function match(when: RuleCondition, action: ProposedAction, verdict: Verdict): string[] | null {
  const why: string[] = [];
  if (when.action && !when.action.includes(action.type)) return null;
  if (when.disposition) {
    if (!when.disposition.includes(verdict.disposition)) return null;
    why.push(verdict.disposition);
  }
  if (when.min_confidence !== undefined) {
    if (verdict.confidence < when.min_confidence) return null;
    why.push(`confidence ${verdict.confidence} ≥ ${when.min_confidence}`);
  }
  if (when.max_confidence !== undefined) {
    if (verdict.confidence > when.max_confidence) return null;
    why.push(`confidence ${verdict.confidence} ≤ ${when.max_confidence}`);
  }
  const tags = new Set(action.targetTags.map((t) => t.toLowerCase()));
  if (when.target_tags_any) {
    const hit = when.target_tags_any.filter((t) => tags.has(t.toLowerCase()));
    if (!hit.length) return null;
    why.push(`target tagged ${hit.join(", ")}`);
  }
  if (when.target_tags_none && when.target_tags_none.some((t) => tags.has(t.toLowerCase()))) return null;
  if (when.min_blast_radius !== undefined) {
    if (action.blastRadius < when.min_blast_radius) return null;
    why.push(`blast radius ${action.blastRadius} ≥ ${when.min_blast_radius}`);
  }
  if (when.max_blast_radius !== undefined) {
    if (action.blastRadius > when.max_blast_radius) return null;
    why.push(`blast radius ${action.blastRadius} ≤ ${when.max_blast_radius}`);
  }
  return why;
}

/** Group names become their members; person names stay; "*" stays "*". */
export function expandApprovers(policy: Policy, names: readonly string[]): string[] {
  const out = names.flatMap((n) => policy.approvers[n] ?? [n]);
  return [...new Set(out)];
}

function approversFor(policy: Policy, rule: PolicyRule): string[] {
  if (rule.approvers?.length) return expandApprovers(policy, rule.approvers);
  return policy.approvers.default ? expandApprovers(policy, ["default"]) : ["*"];
}

/**
 * Containment a sanctioned phishing simulation must never get, whatever a policy file says: quarantining
 * or blocking the training vendor would break the programme and tell people which mail is a test.
 */
const CONTAINMENT = new Set<string>([
  "quarantine_message",
  "block_sender",
  "block_domain",
  "block_url",
  "block_ip",
  "remove_inbox_rule",
  "delete_mailbox",
]);
export const SIMULATION_RULE = "simulation-is-never-contained";

export function decide(policy: Policy, action: ProposedAction, verdict: Verdict): PolicyDecision {
  if (verdict.category === "phishing_simulation" && CONTAINMENT.has(action.type))
    return {
      actionId: action.id,
      decision: "deny",
      rule: SIMULATION_RULE,
      reason: `a sanctioned phishing simulation is never contained (${action.type})`,
      approvers: [],
    };
  let chosen: { rule: PolicyRule; why: string[] } | null = null;
  for (const rule of policy.rules) {
    const why = match(rule.when, action, verdict);
    if (!why) continue;
    if (!chosen || STRICTNESS[rule.decision] > STRICTNESS[chosen.rule.decision]) chosen = { rule, why };
  }
  if (!chosen) {
    return {
      actionId: action.id,
      decision: "deny",
      rule: "default",
      reason: `no rule allows ${action.type} (default deny)`,
      approvers: [],
    };
  }
  const { rule, why } = chosen;
  return {
    actionId: action.id,
    decision: rule.decision,
    rule: rule.id,
    reason: `rule ${rule.id}${why.length ? `: ${why.join(", ")}` : ""}`,
    approvers: rule.decision === "require_approval" ? approversFor(policy, rule) : [],
  };
}

export function decideAll(
  policy: Policy,
  actions: readonly ProposedAction[],
  verdict: Verdict,
  ctx: DecisionContext,
): PolicyDecision[] {
  const allowedInBatch = new Map<string, number>();
  return actions.map((action) => {
    const decision = decide(policy, action, verdict);
    if (decision.decision !== "allow") return decision;
    const limit = policy.rate_limits.find((l) => l.action === action.type);
    if (!limit) return decision;
    const used =
      ctx.recentExecutions(action.type, limit.per_minutes) + (allowedInBatch.get(action.type) ?? 0);
    if (used >= limit.max) {
      return {
        ...decision,
        decision: "require_approval",
        rule: `rate-limit:${action.type}`,
        reason: `${used} ${action.type} in the last ${limit.per_minutes} min reaches the limit of ${limit.max}`,
        approvers: policy.approvers.default ? expandApprovers(policy, ["default"]) : ["*"],
      };
    }
    allowedInBatch.set(action.type, (allowedInBatch.get(action.type) ?? 0) + 1);
    return decision;
  });
}
