/**
 * `triage doctor`: checks every configured integration (reachable, authenticated, permitted) with cheap
 * reads, one line each, then the audit key and stream. Exit 0 when every check passes, 1 when one fails,
 * 2 for a configuration mistake.
 */
import type { Command } from "commander";
import type { ConfigOverrides } from "../agent/config.ts";
import { describeError } from "../core/errors.ts";
import { redact } from "../core/redact.ts";
import type { PortName, ProbeResult, VendorContext, VendorModule } from "../tools/vendors/types.ts";
import { EXIT, print, printJson } from "./output.ts";

interface Shared {
  addCommon: (command: Command) => Command;
  overrides: (options: ConfigOverrides & { json?: boolean }) => ConfigOverrides;
  setExit: (code: number) => void;
}

export interface DoctorLine extends ProbeResult {
  vendor: string;
  ports: PortName[];
}

const PROBE_TIMEOUT_MS = 20_000;

/** Runs every probe of the configured tools; never throws for a failing integration, only for bad config. */
export async function runDoctor(
  overrides: ConfigOverrides,
  options: { modules?: readonly VendorModule[]; http?: VendorContext["http"] } = {},
): Promise<DoctorLine[]> {
  const [{ loadConfig }, { composeTools }, { ALL_PORTS, portChoices }, { auditChecks }] = await Promise.all([
    import("../agent/config.ts"),
    import("../agent/setup.ts"),
    import("../tools/registry.ts"),
    import("./audit-doctor.ts"),
  ]);
  const config = loadConfig(overrides);
  const composed = await composeTools(config, { now: () => new Date(), ...options });
  try {
    const lines: DoctorLine[] = [];
    if (composed.usesLab) {
      const choices = portChoices(config.integrations);
      const ports = ALL_PORTS.filter((p) => choices[p].includes("lab"));
      let ok = true;
      let detail: string;
      try {
        const alerts = await composed.tools.alerts.listAlerts({ limit: 1 });
        detail = `embedded lab at ${config.labDatabasePath}${alerts.length ? "" : " (no alerts)"}`;
      } catch (error) {
        ok = false;
        detail = describeError(error);
      }
      lines.push({ vendor: "lab", ports, check: "open the lab database", ok, detail });
    }
    await Promise.all(
      composed.vendors.map(async (vendor) => {
        const signal = AbortSignal.timeout(PROBE_TIMEOUT_MS);
        let results: ProbeResult[];
        try {
          results = await vendor.probe(signal);
        } catch (error) {
          results = [{ check: "probe", ok: false, detail: describeError(error) }];
        }
        for (const r of results)
          lines.push({ vendor: vendor.name, ports: vendor.ports, ...r, detail: redact(r.detail) });
      }),
    );
    lines.sort((a, b) =>
      a.vendor === "lab" ? -1 : b.vendor === "lab" ? 1 : a.vendor.localeCompare(b.vendor),
    );
    for (const r of await auditChecks(config)) lines.push({ vendor: "audit", ports: [], ...r });
    return lines;
  } finally {
    composed.tools.close?.();
  }
}

export function registerDoctorCommand(program: Command, { addCommon, overrides, setExit }: Shared): void {
  addCommon(
    program
      .command("doctor")
      .description("check each configured integration: reachable, authenticated, permitted (one line each)"),
  ).action(async (options: ConfigOverrides & { json?: boolean }) => {
    const lines = await runDoctor(overrides(options));
    const failed = lines.filter((l) => !l.ok).length;
    if (options.json) printJson({ ok: failed === 0, checks: lines });
    else {
      const width = Math.max(...lines.map((l) => l.vendor.length), 4);
      for (const l of lines)
        print(`${l.ok ? "ok  " : "FAIL"}  ${l.vendor.padEnd(width)}  ${l.check}: ${l.detail}`);
      print(`${lines.length} checks, ${failed} failed`);
    }
    setExit(failed ? EXIT.internal : EXIT.ok);
  });
}
