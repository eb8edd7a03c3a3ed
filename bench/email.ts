/**
 * Email benchmark over a labeled corpus: per-message offline triage through the whole graph (as
 * `triage email` runs it, without the checkpointer) against a bare mailparser parse of the same message,
 * medians and their ratio; and the engine's batch throughput (parse, analyzers, model) over the corpus.
 */
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { loadConfig } from "../agent/config.ts";
import { reportedMessage, withReportedMessages } from "../agent/email-file.ts";
import { predict } from "../tools/analyzers/logistic.ts";
import { loadEmailModel } from "../agent/reasoners/offline/model/email-model.ts";
import { runTriage } from "../agent/run-triage.ts";
import { openRuntime } from "../agent/setup.ts";
import { readCorpus } from "../evals/email/corpus.ts";
import { prepareMessage } from "../evals/email/pipeline.ts";
import { median } from "../evals/stats.ts";

export async function benchEmail(corpusDir: string, scratch: string): Promise<string[]> {
  // Read once, outside every timed region (a corpus message is read from disk when asked).
  const corpus = readCorpus(corpusDir).map((m) => ({ file: m.file, raw: m.raw }));
  const parseTimes: number[] = [];
  for (const m of corpus) {
    const started = performance.now();
    await simpleParser(m.raw);
    parseTimes.push(performance.now() - started);
  }
  const now = new Date();
  const reported = await Promise.all(
    corpus.map((m, index) => reportedMessage(m.raw, { file: m.file, index, now })),
  );
  const config = loadConfig({ db: join(scratch, "email-cases.db"), labDb: join(scratch, "lab.db") }, {});
  const opened = await openRuntime(config, {
    checkpointer: false,
    wrapTools: (tools) => withReportedMessages(tools, reported),
  });
  const triageTimes: number[] = [];
  try {
    for (const message of reported) {
      const started = performance.now();
      await runTriage(opened.runtime, message.alert.id, { dryRun: true });
      triageTimes.push(performance.now() - started);
    }
  } finally {
    await opened.close();
  }
  const model = loadEmailModel().model;
  const batchStart = performance.now();
  for (const m of corpus) predict(model, (await prepareMessage(m.raw, "raw")).vector);
  const batchSeconds = (performance.now() - batchStart) / 1000;
  const ratio = median(triageTimes) / Math.max(median(parseTimes), 1e-9);
  return [
    `Email corpus (${corpus.length} messages), ms per message: bare mailparser parse median ${median(parseTimes).toFixed(2)}; full offline triage (graph, case memory, lab tools) median ${median(triageTimes).toFixed(2)}; ratio ×${ratio.toFixed(1)}`,
    `Engine batch (parse + analyzers + model, no case memory): ${corpus.length} messages in ${batchSeconds.toFixed(2)} s = ${(corpus.length / batchSeconds).toFixed(0)} messages/s`,
  ];
}
