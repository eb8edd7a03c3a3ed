/** Per-finding figures for false-positive and false-negative analysis: where each finding fires and what it weighs. */
import type { FindingPush } from "./outcome.ts";

export interface FindingStats {
  id: string;
  /** Messages of each class it fired on, and their share of that class. */
  malicious: { count: number; share: number };
  benign: { count: number; share: number };
  fires: number;
  /** Share of its firings that were on malicious mail. */
  precision: number;
  /** Mean log-odds push on the messages it fired on. */
  meanWeight: number;
}

/** One row per finding id, most firings first; a finding listed twice on a message counts once, weights summed. */
export function findingStats(
  outcomes: ReadonlyArray<{ label: 0 | 1; findings: readonly FindingPush[] }>,
): FindingStats[] {
  const totals = { malicious: 0, benign: 0 };
  const byId = new Map<string, { malicious: number; benign: number; weight: number }>();
  for (const o of outcomes) {
    const cls = o.label === 1 ? "malicious" : "benign";
    totals[cls]++;
    const pushes = new Map<string, number>();
    for (const f of o.findings) pushes.set(f.id, (pushes.get(f.id) ?? 0) + f.weight);
    for (const [id, weight] of pushes) {
      const entry = byId.get(id) ?? { malicious: 0, benign: 0, weight: 0 };
      entry[cls]++;
      entry.weight += weight;
      byId.set(id, entry);
    }
  }
  const share = (count: number, of: number) => (of ? count / of : 0);
  return [...byId]
    .map(([id, e]) => {
      const fires = e.malicious + e.benign;
      return {
        id,
        malicious: { count: e.malicious, share: share(e.malicious, totals.malicious) },
        benign: { count: e.benign, share: share(e.benign, totals.benign) },
        fires,
        precision: share(e.malicious, fires),
        meanWeight: share(e.weight, fires),
      };
    })
    .sort((a, b) => b.fires - a.fires || a.id.localeCompare(b.id));
}
