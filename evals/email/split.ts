/** Deterministic stratified splits and folds, so training and evaluation are reproducible. */
import { createHash } from "node:crypto";
import { Rng } from "../../tools/lab/random.ts";

export function sha256(text: string): string {
  return createHash("sha256").update(text, "latin1").digest("hex");
}

/** Indexes of a stratified hold-out: `fraction` of each label, chosen by the seed. */
export function stratifiedHoldOut(labels: ReadonlyArray<0 | 1>, fraction: number, seed: number): Set<number> {
  const rng = new Rng(seed);
  const held = new Set<number>();
  for (const label of [0, 1] as const) {
    const idx = rng.shuffle(labels.flatMap((l, i) => (l === label ? [i] : [])));
    for (const i of idx.slice(0, Math.round(idx.length * fraction))) held.add(i);
  }
  return held;
}

/** Fold number of each index, stratified by label. */
export function stratifiedFolds(labels: ReadonlyArray<0 | 1>, k: number, seed: number): number[] {
  const rng = new Rng(seed);
  const fold = new Array<number>(labels.length).fill(0);
  for (const label of [0, 1] as const) {
    rng.shuffle(labels.flatMap((l, i) => (l === label ? [i] : []))).forEach((i, position) => {
      fold[i] = position % k;
    });
  }
  return fold;
}
