/** `triage eval --corpus DIR`: the email engine on a labeled corpus, scored for the configured deployment. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type ConfigOverrides } from "../agent/config.ts";
import type { DeploymentMetrics, GroupMetrics, ViewSummary } from "../evals/email/deployment.ts";
import { corpusConfigPath } from "../evals/email/corpus.ts";
import { evaluateEmailCorpus, type EmailEvalResult } from "../evals/email/evaluate.ts";
import { writeEmailReport } from "../evals/email/report.ts";
import { TriageError } from "../core/errors.ts";
import { print, printJson } from "./output.ts";
import { createProgressReporter } from "./progress.ts";
import { renderTable } from "./render.ts";

export interface EmailEvalCommandOptions extends ConfigOverrides {
  json?: boolean;
  stream?: boolean;
  out: string;
}

/** Runs the evaluation, writes the report and prints the summary. */
export async function emailEvalCommand(
  dir: string,
  options: EmailEvalCommandOptions,
  overrides: (options: ConfigOverrides) => ConfigOverrides,
): Promise<void> {
  if (!existsSync(dir)) throw new TriageError("BAD_INPUT", `corpus directory ${dir} not found`);
  const config = loadConfig(
    overrides({ ...options, config: options.config ?? corpusConfigPath(dir) ?? undefined }),
  );
  const scratchDir = options.stream ? mkdtempSync(join(tmpdir(), "triage-eval-stream-")) : null;
  // Progress only on a terminal: a redirected stderr stays clean for logs and CI.
  const reporter =
    scratchDir && process.stderr.isTTY
      ? createProgressReporter({
          tty: true,
          // A pseudo-terminal may report 0 columns.
          columns: process.stderr.columns || 80,
          label: "stream",
          write: (text) => process.stderr.write(text),
        })
      : null;
  // The clock starts with the stream's first message, so the rate leaves out the independent view's time.
  let started: number | null = null;
  const onProgress = reporter
    ? (done: number, total: number) => {
        started ??= performance.now();
        reporter.update({ done, total, failed: 0, elapsedMs: performance.now() - started });
      }
    : undefined;
  let result: EmailEvalResult;
  try {
    result = await evaluateEmailCorpus(dir, {
      organization: config.organization,
      configPath: config.configPath,
      ...(scratchDir ? { stream: { config, scratchDir, ...(onProgress ? { onProgress } : {}) } } : {}),
    });
  } finally {
    reporter?.end();
    if (scratchDir) rmSync(scratchDir, { recursive: true, force: true });
  }
  const written = writeEmailReport(result, options.out);
  if (options.json) {
    const { scores: _scores, ...summary } = result;
    printJson(summary);
    return;
  }
  print(renderEmailEval(result));
  print(`report: ${written.markdown}`);
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
// A rate over nothing (no attacks in a benign-only source) is not 0%: it does not exist.
const rate = (r: { count: number; of: number; share: number }) =>
  r.of ? `${r.count}/${r.of} (${pct(r.share)})` : "–";
const orDash = (x: number | null, format: (x: number) => string) => (x === null ? "–" : format(x));

function socRow(name: string, m: DeploymentMetrics): string[] {
  return [
    name,
    String(m.n),
    rate(m.attacksClosedAsBenign),
    rate(m.legitimateToPerson),
    pct(m.decidedWithoutPerson.share),
    orDash(m.recallAtFpr1, pct),
    m.brier.toFixed(4),
    orDash(m.auc, (x) => x.toFixed(4)),
  ];
}

const SOC_HEADERS = [
  "view",
  "n",
  "attacks closed as benign",
  "legitimate to a person",
  "decided alone",
  "recall@FPR≤1%",
  "Brier",
  "AUC",
];

function groupTable(title: string, views: Array<[string, GroupMetrics[]]>): string[] {
  const rows = views.flatMap(([view, groups]) => groups.map((g) => socRow(`${g.group} (${view})`, g)));
  return rows.length ? [title, renderTable(["group", ...SOC_HEADERS.slice(1)], rows)] : [];
}

function findingTable(summary: ViewSummary, top: number): string {
  return renderTable(
    ["finding", "on malicious", "on benign", "precision", "mean weight"],
    summary.findings
      .slice(0, top)
      .map((f) => [
        f.id,
        `${f.malicious.count} (${pct(f.malicious.share)})`,
        `${f.benign.count} (${pct(f.benign.share)})`,
        pct(f.precision),
        f.meanWeight.toFixed(2),
      ]),
  );
}

/** The text summary: the classifier's figures, then what the SOC queue would feel, per source and finding. */
export function renderEmailEval(r: EmailEvalResult): string {
  const row = (name: string, m: EmailEvalResult["headline"]) => [
    name,
    String(m.n),
    `${pct(m.precision.value)} [${pct(m.precision.low)}, ${pct(m.precision.high)}]`,
    `${pct(m.recall.value)} [${pct(m.recall.low)}, ${pct(m.recall.high)}]`,
    `${pct(m.fpr.value)} [${pct(m.fpr.low)}, ${pct(m.fpr.high)}]`,
    m.auc.toFixed(4),
    m.brier.toFixed(4),
    pct(m.recallAtFpr1),
  ];
  const views: Array<[string, ViewSummary]> = [["independent", r.independent]];
  if (r.stream) views.push(["stream", r.stream]);
  return [
    `Email corpus ${r.corpus}: ${r.n} held-out messages scored (${r.skippedTrainingMessages} skipped: the shipped model was trained on them); organization ${r.organization.name}${r.organization.configPath ? ` from ${r.organization.configPath}` : " (defaults)"}`,
    renderTable(
      ["view", "n", "precision", "recall", "FPR", "AUC", "Brier", "recall@FPR≤1%"],
      [
        row("headline, held out", r.headline),
        row("headline, 5-fold CV", r.headlineCrossValidated),
        row("raw, 5-fold CV", r.rawCrossValidated),
      ],
    ),
    `confusion (headline, held out): tp ${r.tp} fp ${r.fp} tn ${r.tn} fn ${r.fn}; latency median ${r.medianMs.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms`,
    "SOC queue (held out):",
    renderTable(
      SOC_HEADERS,
      views.map(([name, v]) => socRow(name, v.overall)),
    ),
    ...(r.stream
      ? [
          `stream: every message in manifest order into one case memory through the graph, median ${r.stream.medianMs.toFixed(1)} ms, p99 ${r.stream.p99Ms.toFixed(1)} ms per message`,
          `case memory's own share: without its findings the stream would send ${rate(r.stream.withoutMemory.legitimateToPerson)} legitimate messages to a person and close ${rate(r.stream.withoutMemory.attacksClosedAsBenign)} attacks as benign`,
        ]
      : []),
    ...groupTable(
      "Per source:",
      views.map(([name, v]) => [name, v.bySource]),
    ),
    ...groupTable(
      "Per class:",
      views.map(([name, v]) => [name, v.byClass]),
    ),
    "Findings, top 15 by firings (independent view; every finding and the stream view in the report):",
    findingTable(r.independent, 15),
  ].join("\n");
}
