/**
 * `triage batch --workers N` as real processes: worker processes triage each alert exactly once with the
 * same outcomes as one process, a poisoned alert fails alone, SIGTERM stops every worker cleanly, and a
 * worker killed mid-run fails only the alerts it held.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { projectRoot } from "../agent/config.ts";
import { openLab } from "../tools/lab/index.ts";
import { runCliAsync, type CliRun } from "./testing/run-cli.ts";
import { labCopyEnv, poisonedLab } from "./testing/batch-labs.ts";

const dir = mkdtempSync(join(tmpdir(), "soc-triage-workers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const seededLab = join(dir, "seed-1337-lab.db");
beforeAll(() => openLab(seededLab, { seed: 1337 }).close());

const labEnv = (name: string, alerts: number) => labCopyEnv(dir, seededLab, name, alerts);

function query<T>(path: string, sql: string, schema: z.ZodType<T>): T[] {
  const db = new Database(path, { readonly: true });
  try {
    return z.array(schema).parse(db.prepare(sql).all());
  } finally {
    db.close();
  }
}

const claimSchema = z.object({ alert_id: z.string(), status: z.string(), worker: z.string() });
const claims = (path: string) =>
  query(path, "SELECT alert_id, status, worker FROM batch_claims ORDER BY alert_id", claimSchema);

/** Alert id → disposition of its one case (a second case would show up as a duplicate key). */
const dispositions = (path: string) =>
  query(
    path,
    "SELECT alert_id, disposition, COUNT(*) OVER (PARTITION BY alert_id) AS n FROM cases ORDER BY alert_id",
    z.object({ alert_id: z.string(), disposition: z.string().nullable(), n: z.number() }),
  );

/** A running claim, once the batch has made its database and claimed something. */
function runningClaim(path: string): z.infer<typeof claimSchema> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return claims(path).find((c) => c.status === "running");
  } catch {
    return undefined; // not migrated yet
  }
}

/** The pid inside a worker id (host:pid:random). */
const pidOf = (worker: string) => Number(worker.split(":").at(-2));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const summarySchema = z.object({
  listed: z.number(),
  triaged: z.number(),
  skippedAlreadyTaken: z.number(),
  byDisposition: z.record(z.string(), z.number()),
  pendingApprovals: z.number(),
  notStarted: z.number(),
  stopped: z.boolean(),
  failures: z.array(z.object({ alertId: z.string(), error: z.string() })),
});

/** Runs the CLI; `during` gets the child's pid and output so far, on each chunk of output and every 20 ms. */
function runCliWatching(
  args: string[],
  env: Record<string, string>,
  during: (pid: number, output: { stdout: string; stderr: string }) => void,
): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectRoot, "bin", "triage.js"), ...args], {
      cwd: projectRoot,
      env: { ...process.env, ...env, NO_COLOR: "1" },
    });
    const output = { stdout: "", stderr: "" };
    const pid = child.pid ?? -1;
    // --json prints nothing until the end: look every 20 ms as well.
    const timer = setInterval(() => during(pid, output), 20);
    child.stdout.on("data", (c: Buffer) => ((output.stdout += c.toString("utf8")), during(pid, output)));
    child.stderr.on("data", (c: Buffer) => ((output.stderr += c.toString("utf8")), during(pid, output)));
    child.on("close", (code) => {
      clearInterval(timer);
      resolve({ code: code ?? -1, ...output });
    });
  });
}

const firstProgressLine = (stderr: string) => /: 1\/\d+ alerts/.test(stderr);

describe("triage batch --workers", () => {
  it("two worker processes triage every alert exactly once, with the same outcomes as one process", async () => {
    const one = labEnv("one", 60);
    const two = labEnv("two", 60);
    const [a, b] = await Promise.all([
      runCliAsync(["batch", "--json", "--workers", "1"], one),
      runCliAsync(["batch", "--json", "--workers", "2"], two),
    ]);
    expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, "", ""]);
    const [sa, sb] = [a, b].map((r) => summarySchema.parse(JSON.parse(r.stdout)));
    expect(sb).toEqual(sa);
    expect(sb).toMatchObject({ listed: 60, triaged: 60, failures: [] });

    const claimed = claims(two.TRIAGE_DB);
    expect(claimed).toHaveLength(60);
    expect(claimed.every((c) => c.status === "done")).toBe(true);
    // Both workers took alerts, and neither is this batch's own process.
    const workers = new Set(claimed.map((c) => c.worker));
    expect(workers.size).toBe(2);
    expect(new Set(claims(one.TRIAGE_DB).map((c) => c.worker)).size).toBe(1);
    expect(dispositions(two.TRIAGE_DB)).toEqual(dispositions(one.TRIAGE_DB));
    expect(dispositions(two.TRIAGE_DB).every((c) => c.n === 1 && c.disposition !== null)).toBe(true);
    // Closed with their batch.
    expect([...workers].map(pidOf).filter(alive)).toEqual([]);
  }, 240_000);

  it("records a poisoned alert as failed in its worker and triages the rest", async () => {
    const labPath = join(dir, "poisoned-lab.db");
    poisonedLab(labPath);
    const env = { TRIAGE_DB: join(dir, "poisoned-cases.db"), TRIAGE_LAB_DB: labPath };
    const run = await runCliAsync(["batch", "--json", "--workers", "2"], env);
    expect(run.code).toBe(1);
    const summary = summarySchema.parse(JSON.parse(run.stdout));
    expect(summary.triaged).toBe(2);
    expect(summary.failures).toEqual([{ alertId: "FX-BAD", error: expect.stringMatching(/FX-BAD/) }]);
    expect(new Set(claims(env.TRIAGE_DB).map((c) => c.worker)).size).toBe(2);
  }, 120_000);

  it("on SIGTERM every worker finishes the alerts it holds and exits; a restart triages the rest once", async () => {
    const env = labEnv("sigterm", 40);
    let signalled = false;
    const first = await runCliWatching(["batch", "--workers", "2"], env, (pid, { stderr }) => {
      if (!signalled && firstProgressLine(stderr)) signalled = process.kill(pid, "SIGTERM");
    });
    expect(signalled).toBe(true);
    expect(first.code).toBe(0);
    const counts = /^triaged (\d+) of 40 alerts .*; 0 failed; /.exec(first.stdout);
    const left = /stopped: (\d+) alerts not started/.exec(first.stdout);
    const triaged = Number(counts?.[1]);
    expect(triaged + Number(left?.[1])).toBe(40);
    const claimed = claims(env.TRIAGE_DB);
    expect(claimed).toHaveLength(triaged);
    expect(claimed.every((c) => c.status === "done")).toBe(true);
    expect([...new Set(claimed.map((c) => pidOf(c.worker)))].filter(alive)).toEqual([]);

    const second = await runCliAsync(["batch", "--json", "--workers", "2"], env);
    expect(second.code).toBe(0);
    expect(summarySchema.parse(JSON.parse(second.stdout))).toMatchObject({
      listed: 40,
      triaged: 40 - triaged,
      skippedAlreadyTaken: triaged,
    });
    expect(dispositions(env.TRIAGE_DB).every((c) => c.n === 1)).toBe(true);
  }, 240_000);

  it("a worker killed mid-run fails only the alerts it held; the other triages the rest", async () => {
    const env = labEnv("killed-worker", 40);
    let killed = 0;
    const run = await runCliWatching(
      ["batch", "--json", "--workers", "2", "--concurrency", "1", "--lease", "600"],
      env,
      () => {
        if (killed) return;
        const running = runningClaim(env.TRIAGE_DB);
        if (running) {
          killed = pidOf(running.worker);
          process.kill(killed, "SIGKILL");
        }
      },
    );
    expect(killed).toBeGreaterThan(0);
    expect(run.code).toBe(1);
    const summary = summarySchema.parse(JSON.parse(run.stdout));
    expect(summary.failures.length).toBeGreaterThanOrEqual(1);
    expect(summary.failures.every((f) => /batch worker process exited \(SIGKILL\)/.test(f.error))).toBe(true);
    expect(summary.triaged + summary.failures.length).toBe(40);
    // The dead worker's alerts keep their running claims until the lease passes; the rest are done.
    const byStatus = claims(env.TRIAGE_DB);
    const running = byStatus.filter((c) => c.status === "running").map((c) => c.alert_id);
    expect(running.sort()).toEqual(summary.failures.map((f) => f.alertId).sort());
    expect(byStatus.filter((c) => c.status === "done")).toHaveLength(summary.triaged);
  }, 240_000);
});
