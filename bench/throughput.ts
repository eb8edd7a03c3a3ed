/**
 * Issue #14's throughput figures, through the real CLI as a user runs it, in one run so the ratios share
 * the machine's load:
 * - `triage email big.mbox --json` (800 messages of ../shared/datasets/email, start-up included) against a
 *   bare mailparser parse of the same messages, per message and as a ratio (target ≤ 3×);
 * - `triage batch --json` alerts/s on SQLite with --workers 1 and N (target ≥ 300/s);
 * - case-memory bytes per closed case after the batch (target ≤ 10 kB).
 * Related-case recall is bench/recall.ts; heap over 10,000 alerts is bench/batch.ts.
 *
 * Alone: npx tsx bench/throughput.ts [--alerts 1000] [--messages 800] [--workers 2]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { simpleParser } from "mailparser";
import { z } from "zod";
import { projectRoot } from "../agent/config.ts";
import { readCorpus } from "../evals/email/corpus.ts";
import { openLab } from "../tools/lab/index.ts";
import { scaledLab } from "./batch.ts";

const KB = 1024;

/** Runs the CLI to the end; wall-clock seconds, exit code and stdout. */
function cli(args: string[], env: Record<string, string>): { seconds: number; code: number; stdout: string } {
  const started = performance.now();
  const run = spawnSync(process.execPath, [join(projectRoot, "bin", "triage.js"), ...args], {
    cwd: projectRoot,
    env: { ...process.env, TRIAGE_POLICY: "", TRIAGE_CONFIG: "", ...env },
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0 && run.status !== 3)
    throw new Error(`triage ${args[0]} exited ${run.status}: ${run.stderr.slice(0, 500)}`);
  return { seconds, code: run.status ?? -1, stdout: run.stdout };
}

/** An mbox of `count` corpus messages, phishing and ham alternating, `From ` lines in bodies quoted. */
function writeMbox(corpusDir: string, path: string, count: number): string[] {
  const corpus = readCorpus(corpusDir);
  const bad = corpus.filter((m) => m.label === "malicious");
  const good = corpus.filter((m) => m.label !== "malicious");
  const messages: string[] = [];
  for (let i = 0; messages.length < count && (i < bad.length || i < good.length); i++)
    for (const m of [bad[i], good[i]])
      if (m && messages.length < count) messages.push(m.raw.replace(/\r\n/g, "\n"));
  const text = messages
    .map((m) => `From reporter@example.com Mon Dec  7 00:00:00 2026\n${m.replace(/^(>*From )/gm, ">$1")}\n`)
    .join("\n");
  writeFileSync(path, text, "latin1");
  return messages;
}

async function bareParseSeconds(messages: readonly string[]): Promise<{ seconds: number; median: number }> {
  for (const m of messages.slice(0, 20)) await simpleParser(m);
  const times: number[] = [];
  const started = performance.now();
  for (const m of messages) {
    const one = performance.now();
    await simpleParser(m);
    times.push(performance.now() - one);
  }
  times.sort((a, b) => a - b);
  return { seconds: (performance.now() - started) / 1000, median: times[Math.floor(times.length / 2)] ?? 0 };
}

async function emailRatio(scratch: string, corpusDir: string, count: number): Promise<string[]> {
  const mbox = join(scratch, "big.mbox");
  const messages = writeMbox(corpusDir, mbox, count);
  const bare = await bareParseSeconds(messages);
  const env = { TRIAGE_DB: join(scratch, "email-cases.db"), TRIAGE_LAB_DB: join(scratch, "lab.db") };
  cli(["lab", "list", "--json"], env); // the lab database is made before the timed run
  const run = cli(["email", mbox, "--json"], env);
  const reports = z.array(z.unknown()).parse(JSON.parse(run.stdout)).length;
  const perMessage = (run.seconds / messages.length) * 1000;
  const bareEach = (bare.seconds / messages.length) * 1000;
  const ratio = perMessage / bareEach;
  return [
    `Email: ${messages.length} messages (${(statSync(mbox).size / KB / KB).toFixed(1)} MB mbox), ${reports} reports. Bare mailparser parse: ${(messages.length / bare.seconds).toFixed(0)} messages/s (${bareEach.toFixed(2)} ms each, median ${bare.median.toFixed(2)} ms). triage email --json, start-up included: ${run.seconds.toFixed(1)} s = ${(messages.length / run.seconds).toFixed(1)} messages/s (${perMessage.toFixed(1)} ms each): ×${ratio.toFixed(1)} the bare parse (target ≤ 3×: ${ratio <= 3 ? "met" : "NOT met"})`,
  ];
}

const summarySchema = z.object({
  triaged: z.number(),
  listed: z.number(),
  durationMs: z.number(),
  alertsPerSecond: z.number(),
});

/** Used bytes of a case database (pages in use, after a WAL checkpoint) and its closed cases. */
function caseBytes(path: string): { used: number; closed: number; tables: Array<[string, number]> } {
  const db = new Database(path);
  try {
    db.pragma("wal_checkpoint(TRUNCATE)");
    const n = (sql: string) => z.object({ n: z.number() }).parse(db.prepare(sql).get()).n;
    const used =
      (n("SELECT page_count AS n FROM pragma_page_count") -
        n("SELECT freelist_count AS n FROM pragma_freelist_count")) *
      n("SELECT page_size AS n FROM pragma_page_size");
    const closed = n("SELECT COUNT(*) AS n FROM cases WHERE status IN ('closed', 'awaiting_approval')");
    const tables = z
      .array(z.object({ name: z.string(), bytes: z.number() }))
      .parse(
        db
          .prepare("SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC LIMIT 5")
          .all(),
      )
      .map((r): [string, number] => [r.name, r.bytes]);
    return { used, closed, tables };
  } finally {
    db.close();
  }
}

function batchThroughput(
  scratch: string,
  alerts: number,
  workers: number[],
  print: (line: string) => void,
): void {
  const seedLab = join(scratch, "seed-lab.db");
  openLab(seedLab, { seed: 1337 }).close();
  const lab = join(scratch, "batch-lab.db");
  const listed = scaledLab(seedLab, lab, alerts);
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
  print(
    `Batch: ${listed} lab alerts, dry run, offline, SQLite; ${availableParallelism()} CPUs, load average ${load}`,
  );
  let first: string | null = null;
  for (const w of workers) {
    const db = join(scratch, `batch-w${w}.db`);
    const run = cli(["batch", "--json", "--workers", String(w), "--limit", String(alerts)], {
      TRIAGE_DB: db,
      TRIAGE_LAB_DB: lab,
    });
    const s = summarySchema.parse(JSON.parse(run.stdout));
    print(
      `  --workers ${w}: ${s.triaged}/${s.listed} in ${(s.durationMs / 1000).toFixed(1)} s = ${s.alertsPerSecond.toFixed(1)} alerts/s (${(s.triaged / run.seconds).toFixed(1)}/s counting start-up, ${run.seconds.toFixed(1)} s wall) (target ≥ 300: ${s.alertsPerSecond >= 300 ? "met" : "NOT met"})`,
    );
    first ??= db;
  }
  if (first) {
    const { used, closed, tables } = caseBytes(first);
    const per = used / Math.max(1, closed) / KB;
    print(
      `Case memory: ${(used / KB / KB).toFixed(1)} MB in use for ${closed} cases = ${per.toFixed(1)} kB per case (target ≤ 10 kB: ${per <= 10 ? "met" : "NOT met"}); largest: ${tables.map(([t, b]) => `${t} ${(b / Math.max(1, closed) / KB).toFixed(1)} kB`).join(", ")}`,
    );
  }
}

/** Prints each figure as it is measured: a run that fails late keeps what it had. */
export async function benchThroughput(
  scratch: string,
  options: { alerts: number; messages: number; workers: number },
  print: (line: string) => void,
): Promise<void> {
  const corpus = join(projectRoot, "..", "shared", "datasets", "email");
  if (existsSync(join(corpus, "manifest.jsonl")))
    for (const line of await emailRatio(scratch, corpus, options.messages)) print(line);
  else print(`email ratio skipped: ${corpus} not present`);
  batchThroughput(scratch, options.alerts, [...new Set([1, options.workers])], print);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      alerts: { type: "string", default: "1000" },
      messages: { type: "string", default: "800" },
      workers: { type: "string", default: String(availableParallelism()) },
    },
  });
  const flags = z
    .object({
      alerts: z.coerce.number().int().min(10).max(1_000_000),
      messages: z.coerce.number().int().min(1).max(100_000),
      workers: z.coerce.number().int().min(1).max(64),
    })
    .safeParse(values);
  if (!flags.success) {
    console.error("bench/throughput.ts: --alerts 10..1000000, --messages 1..100000, --workers 1..64");
    process.exitCode = 2;
  } else {
    const scratch = mkdtempSync(join(tmpdir(), "soc-triage-bench-throughput-"));
    try {
      await benchThroughput(scratch, flags.data, (line) => console.log(line));
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
}
