/**
 * How fast the `triage` command answers, as a user starts it (bin/triage.js, running the compiled dist/):
 * median wall time of `triage --help`, `triage cases list` on a case memory of a few cases, and an offline
 * `triage <lab-id>`, each beside `node -e 0` (the floor: starting Node itself) and as a ratio to it.
 * The commands take turns, run after run, so a busy machine slows them alike.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { projectRoot } from "../agent/project-root.ts";
import { renderTable } from "../apps/render.ts";
import { median as medianOf } from "../evals/stats.ts";
import { buildCli } from "../scripts/build.ts";

interface Probe {
  name: string;
  args: string[];
  /** Seconds, from the issue that asked for a fast start; null for the floor. */
  target: number | null;
}

const LAB_ALERT = "LAB-0001";

function timed(args: string[], env: Record<string, string>): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, {
    cwd: projectRoot,
    env: { ...process.env, ...env, NO_COLOR: "1" },
    encoding: "utf8",
  });
  const ms = performance.now() - started;
  // 3: a case waiting for approval, a normal end for a triage.
  if (result.status !== 0 && result.status !== 3)
    throw new Error(`${args.join(" ")} exited ${result.status ?? result.signal}: ${result.stderr.trim()}`);
  return ms;
}

/** Lines of the startup benchmark, `runs` runs of each command. */
export async function benchStartup(scratch: string, runs: number): Promise<string[]> {
  const built = await buildCli();
  const env = {
    TRIAGE_DB: join(scratch, "startup-cases.db"),
    TRIAGE_LAB_DB: join(scratch, "startup-lab.db"),
    TRIAGE_POLICY: "",
    TRIAGE_CONFIG: "",
  };
  const triage = join(projectRoot, "bin", "triage.js");
  const probes: Probe[] = [
    { name: "node -e 0", args: ["-e", "0"], target: null },
    { name: "triage --help", args: [triage, "--help"], target: 0.15 },
    { name: "triage cases list", args: [triage, "cases", "list"], target: 0.3 },
    { name: `triage ${LAB_ALERT}`, args: [triage, LAB_ALERT], target: 0.6 },
    // How the CLI started before it was compiled: the same command, its sources through tsx.
    {
      name: "cases list, sources via tsx",
      args: ["--import", "tsx", "apps/cli.ts", "cases", "list"],
      target: null,
    },
  ];
  // Seeds the lab and a few cases, and warms the file cache; not counted.
  for (const alert of ["LAB-0002", "LAB-0003", "LAB-0004"]) timed([triage, alert], env);
  for (const probe of probes) timed(probe.args, env);

  const times = new Map<string, number[]>(probes.map((p) => [p.name, []]));
  for (let run = 0; run < runs; run++)
    for (const probe of probes) times.get(probe.name)?.push(timed(probe.args, env));
  const median = (name: string) => medianOf(times.get(name) ?? []);
  const floor = median("node -e 0");
  const rows = probes.map((probe) => {
    const ms = median(probe.name);
    const verdict =
      probe.target === null
        ? "-"
        : ms <= probe.target * 1000
          ? "met"
          : `missed by ${(ms - probe.target * 1000).toFixed(0)} ms`;
    return [
      probe.name,
      ms.toFixed(0),
      `×${(ms / floor).toFixed(2)}`,
      probe.target === null ? "-" : `${probe.target * 1000}`,
      verdict,
    ];
  });
  return [
    `CLI start-up (bin/triage.js on dist/: ${built.modules} modules), median of ${runs} runs each, load average ${loadavg()[0]?.toFixed(1)} at the end`,
    renderTable(["command", "median ms", "vs node -e 0", "target ms", "target"], rows),
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const scratch = mkdtempSync(join(tmpdir(), "soc-triage-startup-"));
  try {
    const runs = Number(process.argv[2] ?? "15");
    for (const line of await benchStartup(scratch, runs)) console.log(line);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
