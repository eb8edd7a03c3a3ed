import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../agent/config.ts";
import {
  EMAIL_MODEL_PATH,
  emailModelSchema,
  loadEmailModel,
} from "../../agent/reasoners/offline/model/email-model.ts";
import { predict, trainLogistic } from "../../tools/analyzers/logistic.ts";
import { headlineView } from "../../tools/analyzers/email/normalize.ts";
import { evaluateEmailCorpus } from "./evaluate.ts";
import { auc, brier, thresholdForFpr, wilson } from "./metrics.ts";
import { writeEmailReport } from "./report.ts";
import { HELD_OUT_FRACTION, trainEmailModel } from "./train.ts";
import { readCorpus } from "./corpus.ts";

const CORPUS = join(projectRoot, "..", "shared", "datasets", "email");
const BUSINESS = join(projectRoot, "..", "shared", "datasets", "email-business");
const haveCorpus = existsSync(join(CORPUS, "manifest.jsonl")) && existsSync(join(BUSINESS, "manifest.jsonl"));
if (!haveCorpus)
  console.warn(
    `skipping the real-mail corpus tests: ${CORPUS} is not present (it sits beside the project in CI)`,
  );

describe("metrics", () => {
  it("computes AUC, Brier, Wilson intervals and the FPR threshold", () => {
    const scored = [
      { label: 0 as const, p: 0.1 },
      { label: 0 as const, p: 0.4 },
      { label: 1 as const, p: 0.35 },
      { label: 1 as const, p: 0.8 },
    ];
    expect(auc(scored)).toBe(0.75);
    expect(brier(scored)).toBeCloseTo((0.01 + 0.16 + 0.4225 + 0.04) / 4);
    const w = wilson(9, 10);
    expect(w.low).toBeGreaterThan(0.55);
    expect(w.high).toBeLessThan(1);
    expect(thresholdForFpr(scored, 0)).toBeGreaterThan(0.4);
  });
});

describe("logistic regression", () => {
  it("learns a separable rule and gives calibrated-looking probabilities", () => {
    const rows = Array.from({ length: 200 }, (_, i) => ({
      x: { a: i % 2, b: (i >> 1) % 2 },
      y: (i % 2) as 0 | 1,
    }));
    const model = trainLogistic(rows);
    expect(predict(model, { a: 1, b: 0 })).toBeGreaterThan(0.9);
    expect(predict(model, { a: 0, b: 1 })).toBeLessThan(0.1);
    expect(Math.abs(model.weights.b ?? 0)).toBeLessThan(0.5);
  });
});

describe("headline view", () => {
  it("equalizes delivery headers, recipients and dates, and keeps what the sender wrote", () => {
    const raw =
      "From nobody Mon Jan  1 00:00:00 2002\nReceived: from x by y\nAuthentication-Results: spf=pass\nX-MS-Exchange-Foo: 1\nTo: phishing@pot\nFrom: Bank <a@bank.test>\nReply-To: b@evil.test\nSubject: Hi\nDate: Tue, 1 Jan 2002 00:00:00 +0000\n\nWrite to phishing@pot now\n";
    const view = headlineView(raw);
    expect(view).not.toMatch(/Received|Authentication-Results|X-MS-Exchange|phishing@pot|2002/);
    expect(view).toMatch(/From: Bank <a@bank.test>/);
    expect(view).toMatch(/Reply-To: b@evil.test/);
  });
});

describe("shipped email model", () => {
  it("is valid data with sane thresholds", () => {
    const model = loadEmailModel();
    expect(model.thresholds.benign).toBeLessThanOrEqual(model.thresholds.malicious);
    expect(Object.keys(model.model.weights).length).toBeGreaterThan(20);
  });

  it.skipIf(!haveCorpus)("is reproduced exactly by `npm run train`", async () => {
    const retrained = await trainEmailModel([CORPUS, BUSINESS]);
    expect(retrained).toEqual(emailModelSchema.parse(JSON.parse(readFileSync(EMAIL_MODEL_PATH, "utf8"))));
  });

  it.skipIf(!haveCorpus)(
    "scores only messages it was not trained on, and separates real mail well",
    async () => {
      const result = await evaluateEmailCorpus(CORPUS);
      // The model was fitted on 70% of each source; this corpus is two of its three sources.
      const total = readCorpus(CORPUS).length;
      expect(result.skippedTrainingMessages + result.n).toBe(total);
      expect(result.n).toBe(Math.round(total * HELD_OUT_FRACTION));
      expect(result.auc).toBeGreaterThan(0.98);
      expect(result.brier).toBeLessThan(0.06);
      // FPR at the malicious threshold on list mail: a regression guard (the SOC-queue figures are the targets).
      expect(result.fpr).toBeLessThanOrEqual(0.03);
      // The manifest's classes and sources give per-group figures that add up to the whole.
      expect(result.independent.overall.n).toBe(result.n);
      expect(result.independent.byClass.map((c) => c.group).sort()).toEqual([
        "ham-easy",
        "ham-hard",
        "phishing",
      ]);
      expect(result.independent.bySource.reduce((sum, s) => sum + s.n, 0)).toBe(result.n);
      expect(result.independent.overall.attacksClosedAsBenign.share).toBeLessThan(0.05);
      const out = mkdtempSync(join(tmpdir(), "email-report-"));
      const written = writeEmailReport(result, out);
      expect(readFileSync(written.markdown, "utf8")).toMatch(/The 20 worst errors/);
      expect(readFileSync(written.markdown, "utf8")).toMatch(/## The SOC queue/);
      rmSync(out, { recursive: true, force: true });
    },
  );
});
