import type { ProposedAction } from "../core/domain.ts";
import type { TriageDeps } from "./deps.ts";

/**
 * The policy engine is synchronous and case memory is not: each rate-limited action type's executions
 * within its window are counted beforehand, and the engine reads them from the returned function.
 */
export async function recentExecutions(
  deps: Pick<TriageDeps, "memory" | "policy">,
  actions: readonly Pick<ProposedAction, "type">[],
  now: Date,
): Promise<(type: string) => number> {
  const recent = new Map<string, number>();
  for (const type of new Set(actions.map((a) => a.type))) {
    const limit = deps.policy.rate_limits.find((l) => l.action === type);
    if (limit)
      recent.set(
        type,
        await deps.memory.countExecutions(type, new Date(now.getTime() - limit.per_minutes * 60_000)),
      );
  }
  return (type) => recent.get(type) ?? 0;
}
