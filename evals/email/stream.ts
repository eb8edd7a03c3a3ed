/**
 * The stream view: a corpus reported message after message, in manifest order, into one case memory
 * through the real graph (the path `triage email FILE` takes, without the checkpointer). Each verdict can
 * lean on the cases before it, so comparing this view with the independent one shows what case memory
 * feeds back: an observable seen in earlier malicious cases pushes later mail the same way, right or wrong.
 */
import { scratchConfig, type TriageConfig } from "../../agent/config.ts";
import { reportedMessage, withReportedMessages } from "../../agent/email-file.ts";
import { runTriage } from "../../agent/run-triage.ts";
import { openRuntime } from "../../agent/setup.ts";
import { headlineView } from "../../tools/analyzers/email/normalize.ts";
import { dispositionSchema, type Disposition } from "../../core/domain.ts";
import type { CorpusMessage } from "./corpus.ts";
import type { Outcome } from "./outcome.ts";
import { sha256 } from "./split.ts";

export interface StreamOptions {
  /** The deployment's configuration; its case and lab databases are replaced by scratch files. */
  config: TriageConfig;
  /** A directory for the scratch databases (the caller owns and removes it). */
  scratchDir: string;
  now?: Date;
  onProgress?: (done: number, total: number) => void;
}

export interface StreamResult {
  outcomes: Outcome[];
  /** Per-message wall time through the graph, in ms. */
  times: number[];
}

// When a reasoner gives no probability, the disposition stands in for it (the offline engine always gives one).
const PROBABILITY_OF: Record<Disposition, number> = { malicious: 1, suspicious: 0.5, benign: 0 };

/**
 * The headline view with a Message-ID of the message's own. The view gives every message the same one,
 * which case memory would take for one message reported again and again: a feedback loop of the view,
 * not of a deployment, where each message has its own. Identical messages keep sharing one, as they would.
 */
export function streamView(raw: string): string {
  const view = headlineView(raw);
  const end = view.search(/\r?\n\r?\n/);
  const head = end === -1 ? view : view.slice(0, end);
  const own = `Message-ID: <${sha256(raw).slice(0, 32)}@corpus.invalid>`;
  const replaced = head.replace(/^Message-ID:.*$/im, own);
  return `${replaced === head ? `${own}\r\n${head}` : replaced}${view.slice(head.length)}`;
}

/** Triages every message in order against one scratch case memory and returns each verdict's outcome. */
export async function streamCorpus(
  messages: readonly CorpusMessage[],
  options: StreamOptions,
): Promise<StreamResult> {
  const now = options.now ?? new Date();
  // The same headline view the independent view scores, so the two differ only by what the graph adds
  // (case memory and the configured tools), not by delivery artefacts of how the corpus was collected.
  const reported = await Promise.all(
    messages.map((m, index) => reportedMessage(streamView(m.raw), { file: m.file, index, now })),
  );
  const config: TriageConfig = scratchConfig(options.config, options.scratchDir, { lab: true });
  const opened = await openRuntime(config, {
    checkpointer: false,
    wrapTools: (tools) => withReportedMessages(tools, reported),
  });
  const outcomes: Outcome[] = [];
  const times: number[] = [];
  try {
    for (const [i, message] of reported.entries()) {
      const source = messages[i];
      if (!source) continue;
      const started = performance.now();
      const { report } = await runTriage(opened.runtime, message.alert.id, { dryRun: true });
      times.push(performance.now() - started);
      const disposition = dispositionSchema.parse(report.verdict.disposition);
      outcomes.push({
        file: source.file,
        source: source.source,
        class: source.class,
        label: source.label === "malicious" ? 1 : 0,
        p: report.verdict.maliciousProbability ?? PROBABILITY_OF[disposition],
        disposition,
        findings: report.findings.map((f) => ({ id: f.id, weight: f.weight })),
      });
      options.onProgress?.(i + 1, reported.length);
    }
  } finally {
    await opened.close();
  }
  return { outcomes, times };
}
