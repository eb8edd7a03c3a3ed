/**
 * Logistic regression, written here rather than pulled in: about sixty features and a few thousand
 * messages need nothing more, the weights stay readable (one log-odds number per finding, which is what
 * the report shows), and the probabilities come out calibrated by construction of the loss. Full-batch
 * gradient descent is deterministic: the same data gives the same weights on every machine.
 *
 * Expert knowledge enters in three ways, because the corpora we can train on rarely show the attacks a SOC
 * fears most (BEC, look-alike vendors, callback scams):
 * - a Gaussian prior per weight centred on the analysts' value (`priorMean`): where data is thin the
 *   weight stays near the expert's, where data is plentiful it moves;
 * - sign constraints (`sign`): a cue of fraud may be learned down to zero, never into evidence of safety
 *   (that is how a corpus artefact, "phishing rarely has X", would otherwise sneak in);
 * - bounds (`maxAbs`): a feature known to separate corpora as much as intent is capped;
 * and a fixed per-row `offset` carries the findings that act outside the model altogether.
 */
import { z } from "zod";

export type Features = Record<string, number>;

export const logisticModelSchema = z.object({
  bias: z.number(),
  weights: z.record(z.string(), z.number()),
});
export type LogisticModel = z.infer<typeof logisticModelSchema>;

export interface TrainOptions {
  l2: number;
  iterations: number;
  learningRate: number;
  /** Centre of each weight's prior (0 when absent). */
  priorMean?: Readonly<Record<string, number>>;
  /** 1: the weight stays ≥ 0; -1: it stays ≤ 0. */
  sign?: Readonly<Record<string, 1 | -1>>;
  /** Largest absolute value a weight may take. */
  maxAbs?: Readonly<Record<string, number>>;
  /** Hold the intercept here instead of learning it (the log-odds of a message with no cue at all). */
  fixedBias?: number;
}

export interface TrainingRow {
  x: Features;
  y: 0 | 1;
  /** Log-odds added to this row's score by rules outside the model. */
  offset?: number;
  /** Importance of the row in the loss (default 1): balances classes and sources. */
  weight?: number;
}

export const defaultTrainOptions: TrainOptions = { l2: 0.01, iterations: 1500, learningRate: 0.5 };

/** The logistic function, clamped so extreme log-odds stay finite. */
export const sigmoid = (x: number) => 1 / (1 + Math.exp(-Math.max(-40, Math.min(40, x))));

export function logit(model: LogisticModel, x: Features): number {
  let sum = model.bias;
  for (const [name, value] of Object.entries(x)) sum += (model.weights[name] ?? 0) * value;
  return sum;
}

export function predict(model: LogisticModel, x: Features): number {
  return sigmoid(logit(model, x));
}

/** Each feature's push on this message, largest first: what the report names as "moved it most". */
export function contributions(model: LogisticModel, x: Features): Array<{ feature: string; value: number }> {
  return Object.entries(x)
    .map(([feature, v]) => ({ feature, value: (model.weights[feature] ?? 0) * v }))
    .filter((c) => c.value !== 0)
    .sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
}

function project(value: number, sign: 1 | -1 | undefined, maxAbs: number | undefined): number {
  let v = value;
  if (sign === 1 && v < 0) v = 0;
  if (sign === -1 && v > 0) v = 0;
  if (maxAbs !== undefined) v = Math.max(-maxAbs, Math.min(maxAbs, v));
  return v;
}

export function trainLogistic(
  rows: readonly TrainingRow[],
  options: TrainOptions = defaultTrainOptions,
): LogisticModel {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.x)))].sort();
  const index = new Map(names.map((n, i) => [n, i]));
  // Sparse rows: a message sets a dozen of the features, so training touches only those.
  const sparse = rows.map((r) => {
    const entries = Object.entries(r.x).filter(([, value]) => value !== 0);
    return {
      at: Int32Array.from(entries, ([k]) => index.get(k) ?? 0),
      value: Float64Array.from(entries, ([, value]) => value),
    };
  });
  const mean = Float64Array.from(names, (n) => options.priorMean?.[n] ?? 0);
  const signs = names.map((n) => options.sign?.[n]);
  const caps = names.map((n) => options.maxAbs?.[n]);
  const w = Float64Array.from(mean, (m, j) => project(m, signs[j], caps[j]));
  const offsets = Float64Array.from(rows, (r) => r.offset ?? 0);
  const rowWeights = Float64Array.from(rows, (r) => r.weight ?? 1);
  const labels = Float64Array.from(rows, (r) => r.y);
  let b = options.fixedBias ?? 0;
  const totalWeight = rowWeights.reduce((s, v) => s + v, 0) || 1;
  const grad = new Float64Array(names.length);
  for (let it = 0; it < options.iterations; it++) {
    grad.fill(0);
    let gradB = 0;
    for (let i = 0; i < sparse.length; i++) {
      const { at, value } = sparse[i] ?? { at: new Int32Array(0), value: new Float64Array(0) };
      let z = b + (offsets[i] ?? 0);
      for (let k = 0; k < at.length; k++) z += (w[at[k] ?? 0] ?? 0) * (value[k] ?? 0);
      const err = (sigmoid(z) - (labels[i] ?? 0)) * (rowWeights[i] ?? 1);
      gradB += err;
      for (let k = 0; k < at.length; k++) {
        const j = at[k] ?? 0;
        grad[j] = (grad[j] ?? 0) + err * (value[k] ?? 0);
      }
    }
    if (options.fixedBias === undefined) b -= (options.learningRate * gradB) / totalWeight;
    for (let j = 0; j < w.length; j++) {
      const step = (grad[j] ?? 0) / totalWeight + options.l2 * ((w[j] ?? 0) - (mean[j] ?? 0));
      w[j] = project((w[j] ?? 0) - options.learningRate * step, signs[j], caps[j]);
    }
  }
  const weights: Record<string, number> = {};
  names.forEach((name, j) => {
    const value = w[j] ?? 0;
    // A constrained weight learned down to zero is kept: zero is what the data said, and a missing weight
    // would let the analyzer's hand-set value back in at run time.
    const constrained = options.priorMean?.[name] !== undefined || options.sign?.[name] !== undefined;
    if (Math.abs(value) > 1e-6 || constrained) weights[name] = Math.round(value * 1e4) / 1e4;
  });
  return { bias: Math.round(b * 1e4) / 1e4, weights };
}
