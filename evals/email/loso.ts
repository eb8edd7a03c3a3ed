/**
 * Leave-one-source-out: how the email model does on mail from a source it never saw. For each legitimate
 * source, a model is fitted on everything else (the phishing in five folds, so each attack is scored by a
 * model that never saw it) with thresholds from its own out-of-fold scores, then scores the left-out
 * source; for the phishing, the same by year (a campaign era it never saw). Reports per source the three
 * SOC-queue figures: legitimate mail sent to a person, attacks closed as benign, share decided alone.
 *
 * Usage: npm run eval:loso (or tsx evals/email/loso.ts DIR…); writes evals/results/<date>-loso.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dispositionOf } from "../../agent/reasoners/offline/score.ts";
import { auc, brier, recallAtFpr, type Scored } from "./metrics.ts";
import { stratifiedFolds } from "./split.ts";
import { chooseThresholds, fitEmailModel, outOfFold, prepareCorpora, scoreWith, type Row } from "./train.ts";

export interface SourceFigures {
  source: string;
  label: "malicious" | "benign";
  n: number;
  /** Benign-labeled called suspicious or malicious (noise), or malicious-labeled called malicious. */
  flagged: number;
  malicious: number;
  benign: number;
}

export interface LosoRun {
  leftOut: string;
  thresholds: { malicious: number; benign: number };
  sources: SourceFigures[];
  recallAtFpr1: number;
  auc: number;
  brier: number;
}

const SEED = 20261207;

function figures(scored: ReadonlyArray<Scored & { source: string }>, t: LosoRun["thresholds"]) {
  const sources = [...new Set(scored.map((s) => s.source))].map((source): SourceFigures => {
    const of = scored.filter((s) => s.source === source);
    const called = of.map((s) => dispositionOf(s.p, t));
    return {
      source,
      label: of[0]?.label === 1 ? "malicious" : "benign",
      n: of.length,
      flagged: called.filter((d) => d !== "benign").length,
      malicious: called.filter((d) => d === "malicious").length,
      benign: called.filter((d) => d === "benign").length,
    };
  });
  return { sources, recallAtFpr1: recallAtFpr(scored, 0.01), auc: auc(scored), brier: brier(scored) };
}

/** Thresholds a training set chooses for itself, from its own out-of-fold scores. */
const thresholdsOf = (train: readonly Row[]) => chooseThresholds(outOfFold(train, 5, SEED));

function scoreAll(train: readonly Row[], test: readonly Row[]) {
  const model = fitEmailModel(train);
  return test.map((r) => ({ label: r.y, p: scoreWith(model, r), source: r.source }));
}

/** Year of a phishing message's own Date header, for the era split (metadata, never a feature). */
export type EraOf = (row: Row) => string;

export function leaveOneSourceOut(rows: readonly Row[], eraOf?: EraOf): LosoRun[] {
  const runs: LosoRun[] = [];
  const attacks = rows.filter((r) => r.y === 1);
  const legitimateSources = [...new Set(rows.filter((r) => r.y === 0).map((r) => r.source))];
  const folds = stratifiedFolds(
    attacks.map(() => 1 as const),
    5,
    SEED,
  );
  for (const leftOut of legitimateSources) {
    const rest = rows.filter((r) => r.y === 0 && r.source !== leftOut);
    const scored: Array<Scored & { source: string }> = [];
    // The run's thresholds are those of its first fold's training set (the other folds only score).
    const thresholds = thresholdsOf([...attacks.filter((_, i) => folds[i] !== 0), ...rest]);
    for (let f = 0; f < 5; f++) {
      const train = [...attacks.filter((_, i) => folds[i] !== f), ...rest];
      const test = [
        ...attacks.filter((_, i) => folds[i] === f),
        ...(f === 0 ? rows.filter((r) => r.source === leftOut) : []),
      ];
      scored.push(...scoreAll(train, test));
    }
    runs.push({ leftOut, thresholds, ...figures(scored, thresholds) });
  }
  if (eraOf) {
    const legitimate = rows.filter((r) => r.y === 0);
    const legitimateFolds = stratifiedFolds(
      legitimate.map(() => 0 as const),
      5,
      SEED,
    );
    const testLegitimate = legitimate.filter((_, i) => legitimateFolds[i] === 0);
    const trainLegitimate = legitimate.filter((_, i) => legitimateFolds[i] !== 0);
    for (const era of [...new Set(attacks.map(eraOf))].sort()) {
      const train = [...attacks.filter((r) => eraOf(r) !== era), ...trainLegitimate];
      const thresholds = thresholdsOf(train);
      const scored = scoreAll(train, [
        ...attacks.filter((r) => eraOf(r) === era).map((r) => ({ ...r, source: `${r.source} ${era}` })),
        ...testLegitimate,
      ]);
      runs.push({ leftOut: `attacks of ${era}`, thresholds, ...figures(scored, thresholds) });
    }
  }
  return runs;
}

const pct = (n: number, of: number) => `${((n / (of || 1)) * 100).toFixed(1)}%`;

export function formatLoso(runs: readonly LosoRun[]): string {
  const lines: string[] = [];
  for (const run of runs) {
    lines.push(
      `without ${run.leftOut}: recall at FPR ≤ 1% ${run.recallAtFpr1.toFixed(3)}, AUC ${run.auc.toFixed(4)}, Brier ${run.brier.toFixed(3)}, thresholds benign ≤ ${run.thresholds.benign.toFixed(3)}, malicious ≥ ${run.thresholds.malicious.toFixed(3)}`,
    );
    for (const s of run.sources)
      lines.push(
        s.label === "benign"
          ? `  ${s.source} (legitimate, ${s.n}): sent to a person ${pct(s.flagged, s.n)}, called malicious ${pct(s.malicious, s.n)}, decided alone ${pct(s.n - s.flagged + s.malicious, s.n)}`
          : `  ${s.source} (attacks, ${s.n}): called benign ${pct(s.benign, s.n)}, called malicious ${pct(s.malicious, s.n)}, decided alone ${pct(s.benign + s.malicious, s.n)}`,
      );
  }
  return lines.join("\n");
}

const isMain = import.meta.url === `file://${process.argv[1] ?? ""}`;
if (isMain) {
  const dirs = process.argv.slice(2);
  const rows = await prepareCorpora(dirs);
  const era = (r: Row) => {
    const year = /\b(20\d\d)\b/.exec(r.date ?? "")?.[1] ?? "unknown";
    return year >= "2025" ? "2025–26" : year;
  };
  const runs = leaveOneSourceOut(rows, era);
  console.log(formatLoso(runs));
  const out = join("evals", "results");
  mkdirSync(out, { recursive: true });
  const file = join(out, `${new Date().toISOString().slice(0, 10)}-loso.json`);
  writeFileSync(file, `${JSON.stringify(runs, null, 1)}\n`);
  console.log(`written ${file}`);
}
