/**
 * The `triage` command's program. A thin shell over runTriage and case memory: parse flags, call, print.
 * Exit codes: 0 done, 1 internal error, 2 bad input, 3 waiting for approval.
 */
import { Command, CommanderError, Option } from "commander";
import type { ConfigOverrides } from "../agent/config.ts";
import { describeError, isTriageError } from "../core/errors.ts";
import { registerLabCommands } from "./cli-lab.ts";
import { registerBatchCommands } from "./cli-batch.ts";
import { registerCaseCommands } from "./cli-cases.ts";
import { registerSlackCommand } from "./cli-slack.ts";
import { registerDoctorCommand } from "./cli-doctor.ts";
import { registerRecoverCommand } from "./cli-recover.ts";
import { fail, EXIT } from "./output.ts";

// Commands load what they run (LangGraph, LangChain, the lab, SQLite) when they run, through import():
// `triage --help` then loads only commander, and `triage cases list` only case memory.
const commands = () => import("./cli-triage.ts");

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
      setExit(await (await commands()).triageCommand(alertId, overrides(options), options));
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
    ) => setExit(await (await commands()).approveCommand(caseId, overrides(options), options)),
  );

  addCommon(
    program
      .command("email")
      .description("triage a reported message from a file (.eml, or every message of an mbox)")
      .argument("<file>")
      .option("--reporter <address>", "who reported it (notified of the outcome)")
      .option("--execute", "run the actions the policy allows (default: dry run)"),
  ).action(async (file: string, options: CommonOptions & { reporter?: string; execute?: boolean }) =>
    setExit(await (await commands()).emailCommand(file, overrides(options), options)),
  );

  addCommon(program.command("config").description("the effective configuration, secrets masked")).action(
    async (options: CommonOptions) =>
      setExit(await (await commands()).configCommand(overrides(options), options)),
  );

  const cases = program.command("cases").description("case memory");
  addCommon(cases.command("show").description("the report of one case").argument("<case-id>")).action(
    async (caseId: string, options: CommonOptions) =>
      setExit(await (await commands()).showCommand(caseId, overrides(options), options)),
  );
  registerCaseCommands(cases, program, { addCommon, overrides, setExit });
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
