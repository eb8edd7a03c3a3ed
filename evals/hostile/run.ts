/**
 * Hostile messages through the path `triage email FILE` takes: the file on disk, the bounded read, the
 * alert, the whole graph with case memory. Each message is timed alone; a thrown error is mapped to the exit
 * code the CLI would give (2 for the user's input, 1 for ours), so a run shows what a user would see.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  readMessageFile,
  reportedMessage,
  withReportedMessages,
  type ReportedMessage,
} from "../../agent/email-file.ts";
import type { TriageReport } from "../../agent/report.ts";
import { runTriage } from "../../agent/run-triage.ts";
import { openRuntime } from "../../agent/setup.ts";
import type { TriageConfig } from "../../agent/config.ts";
import { describeError, isTriageError } from "../../core/errors.ts";
import type { HostileCase } from "./generate.ts";

export interface HostileResult {
  name: string;
  family: string;
  bytes: number;
  /** The exit code `triage email` would give: 0 (or 3, awaiting approval) with a verdict, 1 or 2 without. */
  code: number;
  ms: number;
  reports: TriageReport[];
  error: string | null;
}

/** Runs each case in turn through one runtime; `onResult` sees each result as it comes, then it is dropped. */
export async function runHostile(
  cases: Iterable<HostileCase>,
  options: {
    config: TriageConfig;
    scratch: string;
    /** As the CLI runs (true), or without the SQLite checkpointer. */
    checkpointer?: boolean;
    onResult: (result: HostileResult) => void;
  },
): Promise<void> {
  const current: ReportedMessage[] = [];
  const opened = await openRuntime(options.config, {
    checkpointer: options.checkpointer ?? true,
    wrapTools: (tools) => withReportedMessages(tools, current),
  });
  const now = new Date();
  try {
    for (const c of cases) {
      const file = join(options.scratch, `${c.name}.eml`);
      writeFileSync(file, c.raw, "latin1");
      const started = performance.now();
      const reports: TriageReport[] = [];
      let code = 0;
      let error: string | null = null;
      try {
        const { messages, cut } = readMessageFile(file);
        for (const [index, raw] of messages.entries()) {
          const last = index === messages.length - 1;
          current.splice(
            0,
            current.length,
            await reportedMessage(raw, { file, index, now, cut: last ? cut : null }),
          );
          const alert = current[0]?.alert;
          if (!alert) continue;
          const outcome = await runTriage(opened.runtime, alert.id, { dryRun: true });
          reports.push(outcome.report);
          if (outcome.status === "awaiting_approval") code = 3;
        }
      } catch (thrown) {
        code = isTriageError(thrown) && thrown.code !== "INTERNAL" ? 2 : 1;
        error = describeError(thrown);
      } finally {
        current.length = 0;
        rmSync(file, { force: true });
      }
      options.onResult({
        name: c.name,
        family: c.family,
        bytes: c.raw.length,
        code,
        ms: performance.now() - started,
        reports,
        error,
      });
    }
  } finally {
    await opened.close();
  }
}
