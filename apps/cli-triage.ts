/**
 * The actions of `triage <alert-id>`, `approve`, `email`, `config` and `cases show`: each opens the runtime
 * (LangGraph, the lab, case memory), so main.ts loads this module only when one of them runs.
 */
import { userInfo } from "node:os";
import { loadConfig, type ConfigOverrides } from "../agent/config.ts";
import { caseReport, resumeTriage, threadOf } from "../agent/run-triage.ts";
import { buildReport } from "../agent/report.ts";
import { triageStateSchema } from "../agent/state.ts";
import { triageReport } from "../agent/campaigns/triage-report.ts";
import { openRuntime } from "../agent/setup.ts";
import {
  readMessageFile,
  reportedMessage,
  withReportedMessages,
  type ReportedMessage,
} from "../agent/email-file.ts";
import { configView } from "./config-view.ts";
import { print, printJson, EXIT } from "./output.ts";
import { renderReport } from "./render.ts";
import { campaignRuntime, renderOutcome, reportJson } from "./campaign-output.ts";

type CommonOptions = ConfigOverrides & { json?: boolean };

export async function triageCommand(
  alertId: string,
  overrides: ConfigOverrides,
  options: CommonOptions & { execute?: boolean },
): Promise<number> {
  const opened = await openRuntime(loadConfig(overrides));
  try {
    const outcome = await triageReport(campaignRuntime(opened), alertId, { dryRun: !options.execute });
    if (options.json) printJson(reportJson(outcome));
    else print(renderOutcome(outcome));
    return outcome.status === "awaiting_approval" ? EXIT.waiting : EXIT.ok;
  } finally {
    await opened.close();
  }
}

export async function approveCommand(
  caseId: string,
  overrides: ConfigOverrides,
  options: CommonOptions & { deny?: boolean; by?: string; action?: string[]; comment?: string },
): Promise<number> {
  const opened = await openRuntime(loadConfig(overrides));
  try {
    const outcome = await resumeTriage(opened.runtime, caseId, {
      approved: !options.deny,
      by: options.by ?? userInfo().username,
      actionIds: options.action ?? [],
      comment: options.comment ?? "",
      at: new Date().toISOString(),
    });
    if (options.json) printJson(outcome.report);
    else print(renderReport(outcome.report));
    return EXIT.ok;
  } finally {
    await opened.close();
  }
}

export async function showCommand(
  caseId: string,
  overrides: ConfigOverrides,
  options: CommonOptions,
): Promise<number> {
  const opened = await openRuntime(loadConfig(overrides));
  try {
    const summary = await opened.memory.getCase(caseId);
    // A taken-over alert's old case points at its successor, which carried its actions on.
    const { supersededBy } = summary;
    if (summary.disposition === null) {
      // No verdict yet (still running, or its worker died before one): there is no report to show.
      if (options.json) printJson(summary);
      else
        print(
          `Case ${caseId}  alert ${summary.alertId}  [${summary.status}]  no verdict yet` +
            (supersededBy
              ? `\nSuperseded by ${supersededBy}: its worker died and another took the alert over.`
              : ""),
        );
      return EXIT.ok;
    }
    // A report answered from its campaign was never investigated (no checkpoint, no kept report): its state
    // is kept with the campaign. An investigated case shows its investigation, even once its campaign's
    // revised verdict was sent to it.
    const investigated =
      (await opened.memory.closedReport(caseId)) !== null ||
      Object.keys((await opened.runtime.graph.getState(threadOf(caseId))).values ?? {}).length > 0;
    const answered = investigated
      ? null
      : triageStateSchema.safeParse(await opened.campaigns.answeredOf(caseId));
    const report = answered?.success ? buildReport(answered.data) : await caseReport(opened.runtime, caseId);
    if (options.json) printJson(supersededBy ? { ...report, supersededBy } : report);
    else {
      print(renderReport(report));
      if (supersededBy)
        print(`Superseded by ${supersededBy}: its worker died and another took the alert over.`);
    }
    return EXIT.ok;
  } finally {
    await opened.close();
  }
}

export async function emailCommand(
  file: string,
  overrides: ConfigOverrides,
  options: CommonOptions & { reporter?: string; execute?: boolean },
): Promise<number> {
  const config = loadConfig(overrides);
  const now = new Date();
  const { messages, cut } = readMessageFile(file);
  // One at a time: each parse is bounded, and in parallel an mbox of large messages would hold them all.
  const reported: ReportedMessage[] = [];
  for (const [index, raw] of messages.entries()) {
    const last = index === messages.length - 1;
    reported.push(
      await reportedMessage(raw, {
        file,
        index,
        now,
        cut: last ? cut : null,
        ...(options.reporter ? { reporter: options.reporter } : {}),
      }),
    );
  }
  const opened = await openRuntime(config, { wrapTools: (tools) => withReportedMessages(tools, reported) });
  let code: number = EXIT.ok;
  try {
    const reports = [];
    for (const message of reported) {
      const outcome = await triageReport(campaignRuntime(opened), message.alert.id, {
        dryRun: !options.execute,
      });
      reports.push(reportJson(outcome));
      if (outcome.status === "awaiting_approval") code = EXIT.waiting;
      if (!options.json) print(renderOutcome(outcome));
    }
    if (options.json) printJson(reports.length === 1 ? reports[0] : reports);
    return code;
  } finally {
    await opened.close();
  }
}

/** `triage config`: the effective configuration, secrets named set or missing. */
export async function configCommand(overrides: ConfigOverrides, options: CommonOptions): Promise<number> {
  const shown = await configView(loadConfig(overrides));
  if (options.json) printJson(shown);
  else print(JSON.stringify(shown, null, 2));
  return EXIT.ok;
}
