/** `triage recover`: finishes what crashed processes left behind (orphaned cases, started actions). */
import type { Command } from "commander";
import type { ConfigOverrides } from "../agent/config.ts";
import type { RecoveryReport } from "../agent/recover.ts";
import { EXIT, print, printJson } from "./output.ts";

interface Shared {
  addCommon: (command: Command) => Command;
  overrides: (options: ConfigOverrides & { json?: boolean }) => ConfigOverrides;
  setExit: (code: number) => void;
}

type Options = ConfigOverrides & { json?: boolean };

function lines(report: RecoveryReport): string[] {
  const out = [
    `recovered ${report.cases.length} orphaned cases and ${report.actions.length} started actions`,
  ];
  for (const c of report.cases)
    out.push(
      `  ${c.caseId} (alert ${c.alertId}) from ${c.from}: ${c.status}${c.error ? `: ${c.error}` : ""}`,
    );
  for (const a of report.actions)
    out.push(`  action ${a.actionId} of ${a.caseId}: ${a.status}${a.detail ? `: ${a.detail}` : ""}`);
  if (report.skipped.length)
    out.push(`  left to the process that took them or holds their alert: ${report.skipped.join(", ")}`);
  return out;
}

export function registerRecoverCommand(program: Command, shared: Shared): void {
  const { addCommon, overrides, setExit } = shared;
  addCommon(
    program
      .command("recover")
      .description(
        "finish every case a crashed process left investigating, and every action left started; safe to run any time",
      ),
  ).action(async (options: Options) => {
    const [{ loadConfig }, { recoverCases }, { openRuntime }] = await Promise.all([
      import("../agent/config.ts"),
      import("./recover-cases.ts"),
      import("../agent/setup.ts"),
    ]);
    const opened = await openRuntime(loadConfig(overrides(options)));
    try {
      const report = await recoverCases(opened);
      if (options.json) printJson(report);
      else for (const line of lines(report)) print(line);
      const failed =
        report.cases.some((c) => c.status === "failed") || report.actions.some((a) => a.status === "failed");
      setExit(failed ? EXIT.internal : EXIT.ok);
    } finally {
      await opened.close();
    }
  });
}
