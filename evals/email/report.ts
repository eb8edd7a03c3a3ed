/** Writes an email evaluation as JSON and as a Markdown report with SVG charts. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EmailEvalResult, ViewMetrics } from "./evaluate.ts";

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const ci = (i: { value: number; low: number; high: number }) =>
  `${pct(i.value)} (95% CI ${pct(i.low)}–${pct(i.high)})`;

function histogramSvg(scores: EmailEvalResult["scores"]): string {
  const bins = 20;
  const counts = [0, 1].map((label) =>
    Array.from(
      { length: bins },
      (_, b) =>
        scores.filter((s) => s.label === label && Math.min(bins - 1, Math.floor(s.p * bins)) === b).length,
    ),
  );
  const max = Math.max(1, ...counts.flat());
  const bars = counts
    .flatMap((row, label) =>
      row.map(
        (n, b) =>
          `<rect x="${40 + b * 22 + label * 10}" y="${220 - (n / max) * 190}" width="10" height="${(n / max) * 190}" fill="${label ? "#c0392b" : "#2980b9"}"><title>${label ? "malicious" : "benign"} ${(b / bins).toFixed(2)}–${((b + 1) / bins).toFixed(2)}: ${n}</title></rect>`,
      ),
    )
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="500" height="260" font-family="sans-serif" font-size="11"><text x="40" y="15">Score histogram (blue benign, red malicious)</text>${bars}<line x1="40" y1="220" x2="480" y2="220" stroke="#333"/><text x="40" y="238">0</text><text x="465" y="238">1</text><text x="220" y="255">P(malicious)</text></svg>`;
}

function calibrationSvg(m: ViewMetrics): string {
  const pts = m.calibration
    .filter((b) => b.n > 0)
    .map(
      (b) =>
        `<circle cx="${40 + b.meanP * 200}" cy="${240 - b.observed * 200}" r="${2 + Math.sqrt(b.n) / 2}" fill="#8e44ad" fill-opacity="0.7"><title>mean ${b.meanP.toFixed(2)}, observed ${b.observed.toFixed(2)}, n ${b.n}</title></circle>`,
    );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="280" height="280" font-family="sans-serif" font-size="11"><text x="40" y="20">Calibration (ideal: diagonal)</text><rect x="40" y="40" width="200" height="200" fill="none" stroke="#333"/><line x1="40" y1="240" x2="240" y2="40" stroke="#999" stroke-dasharray="4"/>${pts.join("")}<text x="100" y="270">predicted P(malicious)</text></svg>`;
}

function confusionSvg(m: ViewMetrics): string {
  const cell = (x: number, y: number, n: number, label: string, good: boolean) =>
    `<rect x="${x}" y="${y}" width="110" height="60" fill="${good ? "#d5f5e3" : "#fadbd8"}" stroke="#333"/><text x="${x + 10}" y="${y + 25}">${label}</text><text x="${x + 10}" y="${y + 45}" font-size="16">${n}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="190" font-family="sans-serif" font-size="11"><text x="80" y="20">Confusion (rows: truth; threshold ${m.threshold})</text>${cell(80, 40, m.tp, "malicious→flagged", true)}${cell(190, 40, m.fn, "malicious→missed", false)}${cell(80, 100, m.fp, "benign→flagged", false)}${cell(190, 100, m.tn, "benign→passed", true)}</svg>`;
}

function table(name: string, m: ViewMetrics): string {
  return `| ${name} | ${m.n} | ${ci(m.precision)} | ${ci(m.recall)} | ${m.f1.toFixed(3)} | ${ci(m.fpr)} | ${m.auc.toFixed(4)} | ${m.brier.toFixed(4)} | ${pct(m.recallAtFpr1)} |`;
}

export function writeEmailReport(result: EmailEvalResult, dir: string): { json: string; markdown: string } {
  mkdirSync(dir, { recursive: true });
  const base = `${result.date}-email`;
  const json = join(dir, `${base}.json`);
  const { scores, ...summary } = result;
  writeFileSync(json, `${JSON.stringify({ ...summary, scores }, null, 1)}\n`);
  writeFileSync(join(dir, `${base}-histogram.svg`), histogramSvg(scores));
  writeFileSync(join(dir, `${base}-calibration.svg`), calibrationSvg(result.headline));
  writeFileSync(join(dir, `${base}-confusion.svg`), confusionSvg(result.headline));
  const d = result.headline.dispositions;
  const markdown = join(dir, `${base}.md`);
  writeFileSync(
    markdown,
    `# Email evaluation, ${result.date}

Corpus \`${result.corpus}\`. Offline engine, logistic regression (seed ${result.model.seed}, trained on ${result.model.trainN} messages; the ${result.skippedTrainingMessages} training messages are not scored below). Thresholds: malicious ≥ ${result.model.thresholds.malicious}, benign ≤ ${result.model.thresholds.benign}.

**Headline view** (delivery headers, recipients and dates equalized for both classes): the shipped model on held-out messages. The cross-validated rows retrain a model per fold on the rest of the corpus.

| view | n | precision | recall | F1 | FPR | AUC | Brier | recall at FPR ≤ 1% |
|---|---|---|---|---|---|---|---|---|
${table("headline, held out", result.headline)}
${table("headline, 5-fold CV", result.headlineCrossValidated)}
${table("raw, 5-fold CV", result.rawCrossValidated)}

Dispositions on the held-out headline view: malicious mail → ${d.malicious.malicious} malicious, ${d.malicious.suspicious} suspicious, ${d.malicious.benign} benign; benign mail → ${d.benign.malicious} malicious, ${d.benign.suspicious} suspicious, ${d.benign.benign} benign.

Latency (parse + analyzers + model, headline view): median ${result.medianMs.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms per message.

![histogram](${base}-histogram.svg) ![calibration](${base}-calibration.svg) ![confusion](${base}-confusion.svg)

## The 20 worst errors

| file | truth | P(malicious) | what moved it most |
|---|---|---|---|
${result.worstErrors.map((e) => `| ${e.file} | ${e.label} | ${e.p} | ${e.top.join("; ")} |`).join("\n")}

## Caveats

The raw view is inflated by corpus artefacts (the two classes were collected two decades apart by different systems); only the headline view says how the engine does on what a reported message shows. The benign set is 2002 mailing-list and personal mail, not today's corporate mail; the malicious set is honeypot mail, much of it spam and scams rather than targeted phishing.
`,
  );
  return { json, markdown };
}
