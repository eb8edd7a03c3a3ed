/** Binary classification metrics with 95% intervals, AUC, Brier score and calibration bins. */
export interface Scored {
  label: 0 | 1;
  p: number;
}

export interface Interval {
  value: number;
  low: number;
  high: number;
}

/** Wilson score interval: honest at small counts and near 0 or 1, unlike the normal approximation. */
export function wilson(successes: number, trials: number, z = 1.96): Interval {
  if (trials === 0) return { value: 0, low: 0, high: 0 };
  const p = successes / trials;
  const denom = 1 + (z * z) / trials;
  const centre = (p + (z * z) / (2 * trials)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials))) / denom;
  return { value: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export function auc(scored: readonly Scored[]): number {
  const sorted = [...scored].sort((a, b) => a.p - b.p);
  let rank = 1;
  let positiveRanks = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j < sorted.length && sorted[j]?.p === sorted[i]?.p) j++;
    const average = (rank + rank + (j - i) - 1) / 2;
    for (let k = i; k < j; k++) if (sorted[k]?.label === 1) positiveRanks += average;
    rank += j - i;
    i = j;
  }
  const positives = scored.filter((s) => s.label === 1).length;
  const negatives = scored.length - positives;
  if (!positives || !negatives) return 0;
  return (positiveRanks - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function brier(scored: readonly Scored[]): number {
  return scored.reduce((sum, s) => sum + (s.p - s.label) ** 2, 0) / (scored.length || 1);
}

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export function confusion(scored: readonly Scored[], threshold: number): Confusion {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const s of scored) {
    const flagged = s.p >= threshold;
    if (flagged && s.label === 1) c.tp++;
    else if (flagged) c.fp++;
    else if (s.label === 1) c.fn++;
    else c.tn++;
  }
  return c;
}

/** The lowest threshold whose false-positive rate stays at or below `maxFpr` (most recall for that FPR). */
export function thresholdForFpr(scored: readonly Scored[], maxFpr: number): number {
  const negatives = scored
    .filter((s) => s.label === 0)
    .map((s) => s.p)
    .sort((a, b) => b - a);
  const allowed = Math.floor(negatives.length * maxFpr);
  const boundary = negatives[allowed];
  return boundary === undefined ? 0.5 : Math.min(1, boundary + 1e-9);
}

/** Best recall any threshold reaches while keeping the false-positive rate at or below `maxFpr`. */
export function recallAtFpr(scored: readonly Scored[], maxFpr: number): number {
  const best = confusion(scored, thresholdForFpr(scored, maxFpr));
  return best.tp / (best.tp + best.fn || 1);
}

export function calibrationBins(
  scored: readonly Scored[],
  bins = 10,
): Array<{ from: number; to: number; n: number; meanP: number; observed: number }> {
  return Array.from({ length: bins }, (_, i) => {
    const from = i / bins;
    const to = (i + 1) / bins;
    const inBin = scored.filter((s) => s.p >= from && (i === bins - 1 ? s.p <= to : s.p < to));
    return {
      from,
      to,
      n: inBin.length,
      meanP: inBin.length ? inBin.reduce((a, s) => a + s.p, 0) / inBin.length : 0,
      observed: inBin.length ? inBin.filter((s) => s.label === 1).length / inBin.length : 0,
    };
  });
}
