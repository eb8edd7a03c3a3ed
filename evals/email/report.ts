/** Writes an email evaluation as JSON and as a Markdown report with SVG charts. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DeploymentMetrics, GroupMetrics, ViewSummary } from "./deployment.ts";
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

// A rate over nothing (no attacks in a benign-only source) is not 0%: it does not exist.
const rate = (r: { count: number; of: number; share: number }) =>
  r.of ? `${r.count}/${r.of} (${pct(r.share)})` : "–";
const orDash = (x: number | null, format: (x: number) => string) => (x === null ? "–" : format(x));

const SOC_HEADER = `| attacks closed as benign | legitimate mail to a person | decided without a person | recall at FPR ≤ 1% | Brier | AUC |`;

function socCells(m: DeploymentMetrics): string {
  return `${m.n} | ${rate(m.attacksClosedAsBenign)} | ${rate(m.legitimateToPerson)} | ${rate(m.decidedWithoutPerson)} | ${orDash(m.recallAtFpr1, pct)} | ${m.brier.toFixed(4)} | ${orDash(m.auc, (x) => x.toFixed(4))} |`;
}

function groupSection(title: string, views: Array<[string, GroupMetrics[]]>): string {
  const rows = views.flatMap(([view, groups]) =>
    groups.map((g) => `| ${g.group} | ${view} | ${socCells(g)}`),
  );
  return rows.length
    ? `\n### ${title}\n\n| ${title.toLowerCase()} | view | n ${SOC_HEADER}\n|---|---|---|---|---|---|---|---|---|\n${rows.join("\n")}\n`
    : "";
}

function findingSection(name: string, v: ViewSummary): string {
  const rows = v.findings.map(
    (f) =>
      `| ${f.id} | ${f.malicious.count} (${pct(f.malicious.share)}) | ${f.benign.count} (${pct(f.benign.share)}) | ${pct(f.precision)} | ${f.meanWeight.toFixed(2)} |`,
  );
  return `\n### Findings, ${name} view\n\nHow often each finding fires on each class, the share of its firings that were on malicious mail, and its mean log-odds push when it fires.\n\n| finding | on malicious | on benign | precision | mean weight |\n|---|---|---|---|---|\n${rows.join("\n")}\n`;
}

function socSection(result: EmailEvalResult): string {
  const views: Array<[string, ViewSummary]> = [["independent", result.independent]];
  if (result.stream) views.push(["stream", result.stream]);
  const stream = result.stream
    ? ` The stream view triages the same messages in manifest order into one case memory through the graph (median ${result.stream.medianMs.toFixed(1)} ms, p99 ${result.stream.p99Ms.toFixed(1)} ms per message): where it differs from the independent view, the graph's tools and earlier cases fed into later verdicts. Case memory's own share: with its findings taken back out, the stream would send ${rate(result.stream.withoutMemory.legitimateToPerson)} legitimate messages to a person and close ${rate(result.stream.withoutMemory.attacksClosedAsBenign)} attacks as benign.`
    : "";
  return `## The SOC queue

What a SOC would feel on the held-out messages: attacks closed as benign (nobody looks at them), legitimate mail sent to a person (called suspicious or malicious: noise), and the share decided without a person (malicious or benign, not suspicious). The independent view scores each message alone, as the email playbook does with the organization's settings (${result.organization.name}${result.organization.configPath ? `, from \`${result.organization.configPath}\`` : ", defaults"}).${stream}

| view | n ${SOC_HEADER}
|---|---|---|---|---|---|---|---|
${views.map(([name, v]) => `| ${name} | ${socCells(v.overall)}`).join("\n")}
${groupSection(
  "Source",
  views.map(([name, v]) => [name, v.bySource]),
)}${groupSection(
    "Class",
    views.map(([name, v]) => [name, v.byClass]),
  )}${views.map(([name, v]) => findingSection(name, v)).join("")}`;
}

/** Writes `<date>-email.json`, `<date>-email.md` and its SVG charts into `dir`. */
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

${socSection(result)}
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
