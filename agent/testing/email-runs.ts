/**
 * Triage messages the way `triage email FILE` does (reported-message overlay, real graph, offline engine,
 * case memory on disk), for tests that compare verdicts across runs and orders.
 */
import { join } from "node:path";
import { loadConfig } from "../config.ts";
import { reportedMessage, withReportedMessages } from "../email-file.ts";
import type { TriageReport } from "../report.ts";
import { runTriage } from "../run-triage.ts";
import { openRuntime } from "../setup.ts";

export interface EmailRun {
  /** One report per message, in the order given. */
  reports: TriageReport[];
}

/**
 * Triages `raws` one after another into the case database `caseDb` (created when missing). `dir` holds
 * the lab database, shared across runs so it is generated once.
 */
export async function triageMessages(
  raws: readonly string[],
  options: { dir: string; caseDb: string; file?: string; now?: Date },
): Promise<EmailRun> {
  const now = options.now ?? new Date("2026-11-10T12:00:00Z");
  const file = options.file ?? "reported.mbox";
  const reported = await Promise.all(raws.map((raw, index) => reportedMessage(raw, { file, index, now })));
  const config = loadConfig({ db: options.caseDb, labDb: join(options.dir, "lab.db") }, {});
  const opened = await openRuntime(config, {
    wrapTools: (tools) => withReportedMessages(tools, reported),
  });
  try {
    const reports: TriageReport[] = [];
    for (const message of reported) {
      const { report } = await runTriage(opened.runtime, message.alert.id, { dryRun: true });
      reports.push(report);
    }
    return { reports };
  } finally {
    await opened.close();
  }
}
