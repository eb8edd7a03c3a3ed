/**
 * Fits the shipped email model on several labeled corpora (phishing, list and newsletter mail, company
 * business mail): headline view, a stratified 70/30 split of each source with a fixed seed, constrained
 * logistic regression on the 70% (evals/email/model-spec.ts), thresholds from 5-fold out-of-fold scores on
 * that same 70% (never from the held-out 30%). Writes agent/reasoners/offline/model/email-model.json; the
 * same corpora and seed always give the same file.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  defaultTrainOptions,
  predict,
  trainLogistic,
  type LogisticModel,
  type TrainingRow,
} from "../../tools/analyzers/logistic.ts";
import { EMAIL_MODEL_PATH, type EmailModelFile } from "../../agent/reasoners/offline/model/email-model.ts";
import { emailProbability } from "../../tools/analyzers/email/model-signals.ts";
import { readCorpus } from "./corpus.ts";
import { thresholdForFpr, type Scored } from "./metrics.ts";
import {
  balancedWeights,
  invariantVocabulary,
  trainingInput,
  trainOptions,
  type SpecRow,
} from "./model-spec.ts";
import { prepareMessage } from "./pipeline.ts";
import { sha256, stratifiedFolds, stratifiedHoldOut } from "./split.ts";

export const TRAIN_SEED = 20261122;
export const HELD_OUT_FRACTION = 0.3;
/** Operating points: malicious at ≤ 1% false positives; benign only below the score that keeps 99% recall. */
export const TARGET_FPR = 0.01;
export const TARGET_RECALL = 0.99;
/** The corpora `npm run train` reads, beside the project. */
export const DEFAULT_CORPORA = ["../shared/datasets/email", "../shared/datasets/email-business"];

export interface Row extends SpecRow {
  hash: string;
  date?: string;
}

/** Every message of the corpora, headline view, with its source (the manifest's, else the corpus folder). */
export async function prepareCorpora(dirs: readonly string[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const dir of dirs)
    for (const m of readCorpus(dir)) {
      const raw = m.raw;
      rows.push({
        prepared: await prepareMessage(raw, "headline"),
        y: m.label === "malicious" ? 1 : 0,
        source: m.source ?? dir,
        hash: sha256(raw),
        ...(m.date ? { date: m.date } : {}),
      });
    }
  return rows;
}

/** A model fitted on these rows under the spec's constraints. */
export function fitEmailModel(rows: readonly SpecRow[]): LogisticModel {
  const vocabulary = new Set(invariantVocabulary(rows));
  const weights = balancedWeights(rows);
  const data: TrainingRow[] = rows.map((r, i) => ({
    ...trainingInput(r.prepared, vocabulary),
    y: r.y,
    weight: weights[i] ?? 1,
  }));
  return trainLogistic(data, trainOptions(rows, defaultTrainOptions));
}

/** P(malicious) of a prepared message under a model, as the playbook computes it. */
export function scoreWith(model: LogisticModel, row: SpecRow): number {
  return emailProbability(model, row.prepared.vector, row.prepared.signals);
}

/** Out-of-fold scores under any fit: each row scored by a model that never saw it. */
function crossScore<R extends { y: 0 | 1 }>(
  rows: readonly R[],
  k: number,
  seed: number,
  fit: (train: R[]) => LogisticModel,
  score: (model: LogisticModel, row: R) => number,
): Scored[] {
  const folds = stratifiedFolds(
    rows.map((r) => r.y),
    k,
    seed,
  );
  const scored: Scored[] = new Array<Scored>(rows.length);
  for (let f = 0; f < k; f++) {
    const model = fit(rows.filter((_, i) => folds[i] !== f));
    rows.forEach((r, i) => {
      if (folds[i] === f) scored[i] = { label: r.y, p: score(model, r) };
    });
  }
  return scored;
}

/** Out-of-fold scores of the shipped model's kind (the thresholds are chosen from these). */
export function outOfFold(rows: readonly SpecRow[], k: number, seed: number): Scored[] {
  return crossScore(rows, k, seed, fitEmailModel, scoreWith);
}

/**
 * Out-of-fold scores of an unconstrained model on plain feature rows, words left out (the evaluation's
 * comparison of the headline and raw views, which is about findings and content measurements).
 */
export function outOfFoldPlain(
  input: ReadonlyArray<{ x: Record<string, number>; y: 0 | 1 }>,
  k: number,
  seed: number,
): Scored[] {
  const rows = input.map((r) => ({
    y: r.y,
    x: Object.fromEntries(Object.entries(r.x).filter(([name]) => !name.startsWith("word."))),
  }));
  return crossScore(
    rows,
    k,
    seed,
    (train) => trainLogistic(train),
    (model, row) => predict(model, row.x),
  );
}

/** The benign threshold: the highest score below which at most (1 − recall) of the malicious fall. */
export function thresholdForRecall(scored: readonly Scored[], recall: number): number {
  const positives = scored
    .filter((s) => s.label === 1)
    .map((s) => s.p)
    .sort((a, b) => a - b);
  const missable = Math.floor(positives.length * (1 - recall));
  return Math.max(0, (positives[missable] ?? 0.5) - 1e-9);
}

/** Both operating points from out-of-fold scores of a training set. */
export function chooseThresholds(oof: readonly Scored[]): { malicious: number; benign: number } {
  const malicious = thresholdForFpr(oof, TARGET_FPR);
  const benign = Math.min(malicious, thresholdForRecall(oof, TARGET_RECALL));
  return { malicious, benign };
}

/** Rows held out of training: 30% of each source and label, by the seed. */
export function heldOutOf(rows: ReadonlyArray<{ y: 0 | 1; source: string }>): Set<number> {
  const groups = new Map<string, number[]>();
  rows.forEach((r, i) => groups.set(r.source, [...(groups.get(r.source) ?? []), i]));
  const held = new Set<number>();
  for (const indexes of groups.values()) {
    const picked = stratifiedHoldOut(
      indexes.map((i) => rows[i]?.y ?? 0),
      HELD_OUT_FRACTION,
      TRAIN_SEED,
    );
    for (const p of picked) held.add(indexes[p] ?? -1);
  }
  return held;
}

export async function trainEmailModel(dirs: readonly string[]): Promise<EmailModelFile> {
  const rows = await prepareCorpora(dirs);
  const held = heldOutOf(rows);
  const train = rows.filter((_, i) => !held.has(i));
  const model = fitEmailModel(train);
  const thresholds = chooseThresholds(outOfFold(train, 5, TRAIN_SEED));
  const sources: Record<string, { n: number; trainN: number }> = {};
  rows.forEach((r, i) => {
    const s = (sources[r.source] ??= { n: 0, trainN: 0 });
    s.n++;
    if (!held.has(i)) s.trainN++;
  });
  return {
    version: 1,
    kind: "logistic_regression",
    view: "headline",
    seed: TRAIN_SEED,
    corpus: {
      manifestSha256: sha256(dirs.map((d) => readFileSync(join(d, "manifest.jsonl"), "latin1")).join("\n")),
      n: rows.length,
      trainN: train.length,
      heldOutN: held.size,
      sources,
    },
    model,
    thresholds: {
      malicious: Math.round(thresholds.malicious * 1e4) / 1e4,
      benign: Math.round(thresholds.benign * 1e4) / 1e4,
    },
    trainedOn: train.map((r) => r.hash).sort(),
  };
}

const isMain = import.meta.url === `file://${process.argv[1] ?? ""}`;
if (isMain) {
  const dirs = process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_CORPORA;
  const file = await trainEmailModel(dirs);
  writeFileSync(EMAIL_MODEL_PATH, `${JSON.stringify(file, null, 1)}\n`);
  console.log(
    `trained on ${file.corpus.trainN} of ${file.corpus.n} messages (${file.corpus.heldOutN} held out); ${Object.keys(file.model.weights).length} weights; thresholds malicious ≥ ${file.thresholds.malicious}, benign ≤ ${file.thresholds.benign}`,
  );
}
