/**
 * Batch benchmark: `runBatch` over lab alerts, offline, as `triage batch` runs it (SQLite checkpointer on).
 * Throughput (alerts/s) at concurrency 1, 2 and 4 over 1,000 alerts, then heap and RSS while 10,000 alerts
 * are triaged, sampled after a forced GC every 1,000, to show whether memory stays flat.
 *
 * The generator writes one consistent world per seed (~209 alerts with ground truth), so larger labs are
 * made by copying the seed's alerts under new ids (`LAB-0001-C3`): the same investigations, any count,
 * and the generator's output per seed is untouched.
 *
 * Alone: npx tsx bench/batch.ts [--alerts 1000] [--memory-alerts 10000, 0 to skip]
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import Database from "better-sqlite3";
import { z } from "zod";
import { loadConfig } from "../agent/config.ts";
import { openRuntime } from "../agent/setup.ts";
import { runBatch, type BatchSummary } from "../apps/batch.ts";
import { renderTable } from "../apps/render.ts";
import { createLabToolset, openLab } from "../tools/lab/index.ts";

const MB = 1024 * 1024;
const countRow = z.object({ n: z.number() });

/** A forced full GC, so heap samples show what is retained rather than when the collector last ran. */
function collector(): () => void {
  if (typeof globalThis.gc === "function") return globalThis.gc;
  setFlagsFromString("--expose-gc");
  const gc: unknown = runInNewContext("gc");
  if (typeof gc !== "function") throw new Error("cannot force a GC: run node with --expose-gc");
  return () => void Reflect.apply(gc, undefined, []);
}

/** A copy of the seed lab with exactly `total` alerts: the seed's own, then numbered copies of them. */
export function scaledLab(seedLab: string, path: string, total: number): number {
  copyFileSync(seedLab, path);
  const db = new Database(path);
  try {
    const count = () => countRow.parse(db.prepare("SELECT COUNT(*) AS n FROM alerts").get()).n;
    const copy = db.prepare(
      `INSERT INTO alerts (id, created_at, family, type, doc)
       SELECT id || '-C' || @k, created_at, family, type, json_set(doc, '$.id', id || '-C' || @k)
       FROM alerts WHERE id NOT LIKE '%-C%' ORDER BY created_at, id LIMIT @n`,
    );
    const kept = "SELECT id FROM alerts ORDER BY created_at, id LIMIT ?";
    db.prepare(`DELETE FROM ground_truth WHERE alert_id NOT IN (${kept})`).run(total);
    db.prepare(`DELETE FROM alerts WHERE id NOT IN (${kept})`).run(total);
    for (let k = 1; count() < total; k++) copy.run({ k, n: total - count() });
    return count();
  } finally {
    db.close();
  }
}

interface Sample {
  done: number;
  heapMb: number;
  rssMb: number;
}

async function timedBatch(
  scratch: string,
  name: string,
  labDb: string,
  options: { limit: number; concurrency: number; sampleEvery?: number; gc?: () => void },
): Promise<{ summary: BatchSummary; peakHeapMb: number; samples: Sample[] }> {
  const opened = await openRuntime(loadConfig({ db: join(scratch, `${name}-cases.db`), labDb }));
  let peakHeap = 0;
  const samples: Sample[] = [];
  try {
    const summary = await runBatch(opened, {
      limit: options.limit,
      concurrency: options.concurrency,
      dryRun: true,
      onProgress: ({ done }) => {
        if (done % 25 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
        if (options.sampleEvery && options.gc && done % options.sampleEvery === 0) {
          options.gc();
          const memory = process.memoryUsage();
          samples.push({ done, heapMb: memory.heapUsed / MB, rssMb: memory.rss / MB });
        }
      },
    });
    return { summary, peakHeapMb: peakHeap / MB, samples };
  } finally {
    await opened.close();
  }
}

/** One listAlerts call for the whole lab: how long it takes and what the list holds on the heap. */
async function listing(labDb: string, limit: number, gc: () => void): Promise<string> {
  const db = openLab(labDb, { seed: 1337 });
  try {
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const alerts = await createLabToolset(db).alerts.listAlerts({ limit });
    const ms = performance.now() - started;
    gc();
    const heldMb = (process.memoryUsage().heapUsed - heapBefore) / MB;
    return `listAlerts(limit ${limit}) on the lab: ${alerts.length} alerts in ${ms.toFixed(0)} ms, ${heldMb.toFixed(1)} MB of heap while the list is held`;
  } finally {
    db.close();
  }
}

const peakRssMb = () => (process.resourceUsage().maxRSS * 1024) / MB;

async function throughput(scratch: string, seedLab: string, alerts: number, concurrencies: number[]) {
  const lab = join(scratch, "batch-throughput-lab.db");
  const listed = scaledLab(seedLab, lab, alerts);
  // Warm-up (JIT, page cache) on its own case database, not counted.
  await timedBatch(scratch, "batch-warmup", lab, { limit: 50, concurrency: 1 });
  const rows: string[][] = [];
  for (const concurrency of concurrencies) {
    const { summary, peakHeapMb } = await timedBatch(scratch, `batch-c${concurrency}`, lab, {
      limit: alerts,
      concurrency,
    });
    rows.push([
      String(concurrency),
      `${summary.triaged}/${summary.listed}`,
      String(summary.failures.length),
      (summary.durationMs / 1000).toFixed(1),
      summary.alertsPerSecond.toFixed(1),
      peakHeapMb.toFixed(0),
    ]);
  }
  const load = loadavg()
    .map((n) => n.toFixed(1))
    .join(" ");
  return [
    `Batch triage of ${listed} lab alerts (offline engine, SQLite checkpointer, dry run; ${cpus().length} CPUs, load average ${load})`,
    renderTable(["concurrency", "triaged", "failed", "seconds", "alerts/s", "heap high-water MB"], rows),
    `peak RSS so far ${peakRssMb().toFixed(0)} MB (heap high-water includes garbage not yet collected)`,
  ];
}

async function memory(scratch: string, seedLab: string, alerts: number, gc: () => void) {
  const lab = join(scratch, "batch-memory-lab.db");
  scaledLab(seedLab, lab, alerts);
  const lines = [await listing(lab, alerts, gc)];
  gc();
  const before = process.memoryUsage().heapUsed / MB;
  const { summary, peakHeapMb, samples } = await timedBatch(scratch, "batch-memory", lab, {
    limit: alerts,
    concurrency: 2,
    sampleEvery: Math.max(1, Math.round(alerts / 10)),
    gc,
  });
  const caseDb = join(scratch, "batch-memory-cases.db");
  const diskMb =
    [caseDb, `${caseDb}-wal`].reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0) / MB;
  lines.push(
    `Memory over ${summary.triaged}/${summary.listed} alerts (concurrency 2, ${summary.alertsPerSecond.toFixed(1)} alerts/s, ${summary.failures.length} failed); heap after a forced GC before the batch: ${before.toFixed(1)} MB; case database on disk after: ${diskMb.toFixed(0)} MB`,
    renderTable(
      ["alerts done", "heap MB (after GC)", "RSS MB"],
      samples.map((s) => [String(s.done), s.heapMb.toFixed(1), s.rssMb.toFixed(0)]),
    ),
  );
  // A sample is taken with the other alert of concurrency 2 in flight, so one sample can hold that
  // alert's transient state (tens of MB, gone by the next sample). A leak shows as a trend: the median of
  // the later half of the samples against the median of the earlier half.
  const half = Math.floor(samples.length / 2);
  const median = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? 0;
  };
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (first && last && half > 0) {
    const early = median(samples.slice(0, half).map((s) => s.heapMb));
    const late = median(samples.slice(samples.length - half).map((s) => s.heapMb));
    const growth = late - early;
    const perThousand = (growth / Math.max(1, last.done - first.done)) * 2000;
    // Flat: the retained heap grows by less than 5 MB or 10% (a heap that shrinks, as warm-up garbage
    // goes, is flat too: the question is whether it leaks).
    const flat = growth < Math.max(5, early * 0.1);
    lines.push(
      `heap median over the first ${half} samples ${early.toFixed(1)} MB, over the last ${half} ${late.toFixed(1)} MB: ${growth >= 0 ? "+" : ""}${growth.toFixed(1)} MB (~${perThousand.toFixed(2)} MB per 1,000 alerts): ${flat ? "flat" : "NOT flat"}; heap high-water ${peakHeapMb.toFixed(0)} MB, peak RSS ${peakRssMb().toFixed(0)} MB`,
    );
  }
  return lines;
}

/** Throughput over `alerts`, then memory over `memoryAlerts` (0 skips the memory run). */
export async function benchBatch(
  scratch: string,
  options: { alerts: number; memoryAlerts: number; concurrencies?: number[] },
): Promise<string[]> {
  const gc = collector();
  const seedLab = join(scratch, "batch-seed-lab.db");
  openLab(seedLab, { seed: 1337 }).close();
  const lines = await throughput(scratch, seedLab, options.alerts, options.concurrencies ?? [1, 2, 4]);
  if (options.memoryAlerts > 0) lines.push(...(await memory(scratch, seedLab, options.memoryAlerts, gc)));
  return lines;
}

/** A count flag: 100 to 1,000,000, or 0 where `zeroSkips`; null when it is neither. */
function countFlag(text: string, zeroSkips: boolean): number | null {
  const parsed = z.coerce.number().int().min(0).max(1_000_000).safeParse(text);
  if (!parsed.success) return null;
  return parsed.data >= 100 || (zeroSkips && parsed.data === 0) ? parsed.data : null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      alerts: { type: "string", default: "1000" },
      "memory-alerts": { type: "string", default: "10000" },
    },
  });
  const alerts = countFlag(values.alerts, false);
  const memoryAlerts = countFlag(values["memory-alerts"], true);
  if (alerts === null || memoryAlerts === null) {
    console.error("bench/batch.ts: --alerts takes 100 to 1000000, --memory-alerts the same or 0 (skip)");
    process.exitCode = 2;
  } else {
    const scratch = mkdtempSync(join(tmpdir(), "soc-triage-bench-batch-"));
    try {
      for (const line of await benchBatch(scratch, { alerts, memoryAlerts })) console.log(line);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
}
