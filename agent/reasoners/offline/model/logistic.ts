/**
 * Logistic regression, written here rather than pulled in: about sixty features and a few thousand
 * messages need nothing more, the weights stay readable (one log-odds number per finding, which is what
 * the report shows), and the probabilities come out calibrated by construction of the loss. Full-batch
 * gradient descent with L2 is deterministic: the same data gives the same weights on every machine.
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
}

export const defaultTrainOptions: TrainOptions = { l2: 0.01, iterations: 1500, learningRate: 0.5 };

const sigmoid = (x: number) => 1 / (1 + Math.exp(-Math.max(-40, Math.min(40, x))));

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

export function trainLogistic(
  rows: ReadonlyArray<{ x: Features; y: 0 | 1 }>,
  options: TrainOptions = defaultTrainOptions,
): LogisticModel {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.x)))].sort();
  const index = new Map(names.map((n, i) => [n, i]));
  const dense = rows.map((r) => {
    const v = new Float64Array(names.length);
    for (const [k, value] of Object.entries(r.x)) v[index.get(k) ?? 0] = value;
    return v;
  });
  const w = new Float64Array(names.length);
  let b = 0;
  const n = rows.length || 1;
  for (let it = 0; it < options.iterations; it++) {
    const grad = new Float64Array(names.length);
    let gradB = 0;
    for (let i = 0; i < dense.length; i++) {
      const x = dense[i];
      const row = rows[i];
      if (!x || !row) continue;
      let z = b;
      for (let j = 0; j < x.length; j++) z += (w[j] ?? 0) * (x[j] ?? 0);
      const err = sigmoid(z) - row.y;
      gradB += err;
      for (let j = 0; j < x.length; j++) grad[j] = (grad[j] ?? 0) + err * (x[j] ?? 0);
    }
    b -= (options.learningRate * gradB) / n;
    for (let j = 0; j < w.length; j++)
      w[j] = (w[j] ?? 0) - options.learningRate * ((grad[j] ?? 0) / n + options.l2 * (w[j] ?? 0));
  }
  const weights: Record<string, number> = {};
  names.forEach((name, j) => {
    const value = w[j] ?? 0;
    if (Math.abs(value) > 1e-6) weights[name] = Math.round(value * 1e4) / 1e4;
  });
  return { bias: Math.round(b * 1e4) / 1e4, weights };
}
