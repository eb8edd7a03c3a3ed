/**
 * The hostile-mail benchmark (issue #12): the full generated set (1,008 cases at real sizes: 20 MB one-line
 * HTML, 1 MB data: URLs, 100,000 `%41` filenames, 10,000 links…) through `triage email`'s path, one at a
 * time. Reports exit codes, max and p99 seconds per message, runs over 10 s, peak RSS, and whether every
 * message got a verdict. Runs alone: `tsx bench/hostile.ts [count]`.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../agent/config.ts";
import { generateHostile } from "../evals/hostile/generate.ts";
import { runHostile } from "../evals/hostile/run.ts";
import { quantile } from "../evals/stats.ts";
import { renderReport } from "../apps/render.ts";
import { hasControl } from "../apps/terminal-text.ts";

const SLOW_MS = 10_000;

export async function benchHostile(scratch: string, count = 1008, seed = 12): Promise<string[]> {
  const dir = join(scratch, "hostile");
  mkdirSync(dir, { recursive: true });
  const codes = new Map<number, number>();
  const times: number[] = [];
  const all: Array<{ name: string; ms: number; mb: number }> = [];
  const slow: string[] = [];
  const failures: string[] = [];
  let withoutVerdict = 0;
  let controlLeaks = 0;
  let bytes = 0;
  const config = loadConfig({ db: join(dir, "cases.db"), labDb: join(scratch, "lab.db") }, {});
  await runHostile(generateHostile({ seed, count, scale: "full" }), {
    config,
    scratch: dir,
    onResult: (r) => {
      codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
      times.push(r.ms);
      all.push({ name: r.name, ms: r.ms, mb: r.bytes / 1e6 });
      bytes += r.bytes;
      if (r.ms > SLOW_MS) slow.push(`${r.name} ${(r.ms / 1000).toFixed(1)} s`);
      if (r.error) failures.push(`${r.name}: exit ${r.code}: ${r.error}`);
      if (!r.reports.length || r.reports.some((report) => !report.verdict.disposition)) withoutVerdict += 1;
      if (r.reports.some((report) => hasControl(renderReport(report)))) controlLeaks += 1;
      // A long run shows where it is (stderr, so the summary on stdout stays clean).
      if (times.length % 100 === 0)
        console.error(`hostile: ${times.length}/${count}, max ${(Math.max(...times) / 1000).toFixed(1)} s`);
    },
  });
  times.sort((a, b) => a - b);
  const peakRss = process.resourceUsage().maxRSS / 1024;
  const exitCodes = [...codes].sort(([a], [b]) => a - b).map(([code, n]) => `${code}: ${n}`);
  return [
    `Hostile mail (${times.length} generated messages, seed ${seed}, ${(bytes / 1e9).toFixed(2)} GB): exit codes {${exitCodes.join(", ")}}; ${times.length - withoutVerdict} of ${times.length} with a verdict; reports with a raw control character: ${controlLeaks}`,
    `  seconds per message: median ${(quantile(times, 0.5) / 1000).toFixed(2)}, p99 ${(quantile(times, 0.99) / 1000).toFixed(2)}, max ${((times.at(-1) ?? 0) / 1000).toFixed(2)}; over ${SLOW_MS / 1000} s: ${slow.length}; peak RSS ${peakRss.toFixed(0)} MB`,
    `  slowest: ${all
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5)
      .map((r) => `${r.name} (${r.mb.toFixed(1)} MB) ${(r.ms / 1000).toFixed(2)} s`)
      .join(", ")}`,
    ...slow.map((s) => `  slow: ${s}`),
    ...failures.slice(0, 20).map((f) => `  failed: ${f}`),
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const scratch = mkdtempSync(join(tmpdir(), "soc-triage-bench-hostile-"));
  try {
    for (const line of await benchHostile(scratch, Number(process.argv[2] ?? 1008))) console.log(line);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
