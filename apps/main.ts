/**
 * The `triage` command's program. A thin shell over runTriage and case memory: parse flags, call, print.
 * Exit codes: 0 done, 1 internal error, 2 bad input, 3 waiting for approval.
 */
import { userInfo } from "node:os";
import { Command, CommanderError, Option } from "commander";
import { loadConfig, type ConfigOverrides } from "../agent/config.ts";
import { caseReport, resumeTriage } from "../agent/run-triage.ts";
import { triageReport } from "../agent/campaigns/triage-report.ts";
import { openRuntime } from "../agent/setup.ts";
import { describeError, isTriageError } from "../tools/errors.ts";
import { dispositionSchema } from "../tools/types.ts";
import { registerLabCommands } from "./cli-lab.ts";
import { registerBatchCommands } from "./cli-batch.ts";
import {
  readMessageFile,
  reportedMessage,
  withReportedMessages,
  type ReportedMessage,
} from "../agent/email-file.ts";
import { registerCaseCommands } from "./cli-cases.ts";
import { registerSlackCommand } from "./cli-slack.ts";
import { registerDoctorCommand } from "./cli-doctor.ts";
import { registerRecoverCommand } from "./cli-recover.ts";
import { configView } from "./config-view.ts";
import { print, printJson, fail, EXIT } from "./output.ts";
import { renderReport } from "./render.ts";
import { campaignRuntime, renderOutcome, reportJson } from "./campaign-output.ts";

interface CommonOptions extends ConfigOverrides {
  json?: boolean;
}

function addCommon(command: Command): Command {
  return command
    .option("--json", "print JSON")
    .option("--db <path>", "case memory database (env TRIAGE_DB)")
    .option("--lab-db <path>", "lab database (env TRIAGE_LAB_DB)")
    .option("--policy <path>", "policy file (env TRIAGE_POLICY)")
    .option("--config <path>", "config file (env TRIAGE_CONFIG)")
    .option(
      "--source <name>",
      "alert source: lab, splunk, elastic, sentinel, defender, crowdstrike (env TRIAGE_SOURCE)",
    );
}

function overrides(options: CommonOptions): ConfigOverrides {
  return {
    config: options.config,
    db: options.db,
    labDb: options.labDb,
    policy: options.policy,
    source: options.source,
  };
}

async function triageCommand(
  alertId: string,
  options: CommonOptions & { execute?: boolean },
): Promise<number> {
  const opened = await openRuntime(loadConfig(overrides(options)));
  try {
    const outcome = await triageReport(campaignRuntime(opened), alertId, { dryRun: !options.execute });
    if (options.json) printJson(reportJson(outcome));
    else print(renderOutcome(outcome));
    return outcome.status === "awaiting_approval" ? EXIT.waiting : EXIT.ok;
  } finally {
    opened.close();
  }
}

async function approveCommand(
  caseId: string,
  options: CommonOptions & { deny?: boolean; by?: string; action?: string[]; comment?: string },
): Promise<number> {
  const opened = await openRuntime(loadConfig(overrides(options)));
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
    opened.close();
  }
}

async function showCommand(caseId: string, options: CommonOptions): Promise<number> {
  const opened = await openRuntime(loadConfig(overrides(options)));
  try {
    const summary = opened.memory.getCase(caseId);
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
    const report = await caseReport(opened.runtime, caseId);
    if (options.json) printJson(supersededBy ? { ...report, supersededBy } : report);
    else {
      print(renderReport(report));
      if (supersededBy)
        print(`Superseded by ${supersededBy}: its worker died and another took the alert over.`);
    }
    return EXIT.ok;
  } finally {
    opened.close();
  }
}

async function emailCommand(
  file: string,
  options: CommonOptions & { reporter?: string; execute?: boolean },
): Promise<number> {
  const config = loadConfig(overrides(options));
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
    opened.close();
  }
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command("triage")
    .description("Triage a security alert: investigate, decide, and act only where the policy allows")
    .argument("[alert-id]", "alert to triage (see `triage lab list`)")
    .option("--execute", "run the actions the policy allows (default: dry run, nothing is executed)")
    .showHelpAfterError()
    .enablePositionalOptions()
    .exitOverride();
  addCommon(program).action(
    async (alertId: string | undefined, options: CommonOptions & { execute?: boolean }) => {
      if (!alertId) {
        program.outputHelp();
        return setExit(EXIT.badInput);
      }
      setExit(await triageCommand(alertId, options));
    },
  );

  addCommon(
    program
      .command("approve")
      .description("approve (or --deny) the actions a paused case is waiting on; resumes it")
      .argument("<case-id>")
      .option("--deny", "deny instead of approve")
      .option("--by <name>", "who decides (default: your user name)")
      .addOption(new Option("--action <id...>", "only these action ids (default: all pending)"))
      .option("--comment <text>", "a note for the audit log"),
  ).action(
    async (
      caseId: string,
      options: CommonOptions & { deny?: boolean; by?: string; action?: string[]; comment?: string },
    ) => setExit(await approveCommand(caseId, options)),
  );

  addCommon(
    program
      .command("email")
      .description("triage a reported message from a file (.eml, or every message of an mbox)")
      .argument("<file>")
      .option("--reporter <address>", "who reported it (notified of the outcome)")
      .option("--execute", "run the actions the policy allows (default: dry run)"),
  ).action(async (file: string, options: CommonOptions & { reporter?: string; execute?: boolean }) =>
    setExit(await emailCommand(file, options)),
  );

  addCommon(program.command("config").description("the effective configuration, secrets masked")).action(
    async (options: CommonOptions) => {
      const shown = await configView(loadConfig(overrides(options)));
      if (options.json) printJson(shown);
      else print(JSON.stringify(shown, null, 2));
      setExit(EXIT.ok);
    },
  );

  const cases = program.command("cases").description("case memory");
  addCommon(cases.command("show").description("the report of one case").argument("<case-id>")).action(
    async (caseId: string, options: CommonOptions) => setExit(await showCommand(caseId, options)),
  );
  registerCaseCommands(cases, program, { addCommon, overrides, setExit, dispositionSchema });
  registerLabCommands(program, { addCommon, overrides, setExit });
  registerSlackCommand(program, { addCommon, overrides, setExit });
  registerBatchCommands(program, { addCommon, overrides, setExit });
  registerDoctorCommand(program, { addCommon, overrides, setExit });
  registerRecoverCommand(program, { addCommon, overrides, setExit });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version print and exit 0; usage errors were already printed by commander.
      return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    if (isTriageError(error))
      return fail(error.code === "INTERNAL" ? EXIT.internal : EXIT.badInput, error.message);
    return fail(EXIT.internal, `internal error: ${describeError(error)}`);
  }
}
