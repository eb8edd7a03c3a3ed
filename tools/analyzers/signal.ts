import type { Finding, VerdictCategory } from "../../core/domain.ts";

/**
 * A finding as analyzers produce it: the public Finding plus the category it points to, which the scorer
 * uses to name what the alert is. `weight` is a log-odds contribution (positive: towards malicious).
 */
export interface Signal extends Finding {
  category?: VerdictCategory;
}

export function signal(
  id: string,
  title: string,
  weight: number,
  evidenceIds: readonly string[],
  extra: { detail?: string; attack?: string[]; category?: VerdictCategory } = {},
): Signal {
  return {
    id,
    title,
    detail: extra.detail ?? "",
    weight,
    evidenceIds: [...new Set(evidenceIds)],
    attack: extra.attack ?? [],
    ...(extra.category ? { category: extra.category } : {}),
  };
}
