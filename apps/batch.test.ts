/**
 * Batch and schedule from the CLI, as real processes: two batches at once, a poisoned alert in the middle,
 * SIGTERM and kill -9 mid-batch then a restart, and scheduled runs from the watermark.
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
import { createFixtureLab } from "../tools/lab/testing/fixture.ts";

const dir = mkdtempSync(join(tmpdir(), "soc-triage-batch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One generated lab (seed 1337, 209 alerts), copied for each test that needs its own. */
const seededLab = join(dir, "seed-1337-lab.db");
beforeAll(() => openLab(seededLab, { seed: 1337 }).close());

/** Its own copy of the seeded lab; `alerts` keeps only the oldest ones, for tests that restart a lot. */
const freshEnv = (name: string, alerts = 209) => labCopyEnv(dir, seededLab, name, alerts);

/** Runs the CLI and sends `signal` once its output satisfies `when` (e.g. its first progress line). */
function runCliSignalled(
  args: string[],
  env: Record<string, string>,
  signal: NodeJS.Signals,
  when: (output: { stdout: string; stderr: string }) => boolean,
): Promise<CliRun & { signalled: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectRoot, "bin", "triage.js"), ...args], {
      cwd: projectRoot,
      env: { ...process.env, ...env, NO_COLOR: "1" },
    });
    const output = { stdout: "", stderr: "" };
    let signalled = false;
    const check = () => {
      if (!signalled && when(output)) signalled = child.kill(signal);
    };
    child.stdout.on("data", (c: Buffer) => ((output.stdout += c.toString("utf8")), check()));
    child.stderr.on("data", (c: Buffer) => ((output.stderr += c.toString("utf8")), check()));
    child.on("close", (code) => resolve({ code: code ?? -1, ...output, signalled }));
  });
}

const casesPerAlert = (path: string): Map<string, number> => {
  const db = new Database(path, { readonly: true });
  try {
    const rows = z
      .array(z.object({ alert_id: z.string(), n: z.number() }))
      .parse(db.prepare("SELECT alert_id, COUNT(*) AS n FROM cases GROUP BY alert_id").all());
    return new Map(rows.map((r) => [r.alert_id, r.n]));
  } finally {
    db.close();
  }
};

const claimRows = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return z
      .array(z.object({ alert_id: z.string(), status: z.string() }))
      .parse(db.prepare("SELECT alert_id, status FROM batch_claims").all());
  } finally {
    db.close();
  }
};

const labAlertIds = (path: string): string[] => {
  const db = new Database(path, { readonly: true });
  try {
    return z
      .array(z.object({ id: z.string() }))
      .parse(db.prepare("SELECT id FROM alerts ORDER BY created_at, id").all())
      .map((r) => r.id);
  } finally {
    db.close();
  }
};

const firstProgressLine = ({ stderr }: { stderr: string }) => /: 1\/\d+ alerts/.test(stderr);

const summarySchema = z.object({
  listed: z.number(),
  triaged: z.number(),
  skippedAlreadyTaken: z.number(),
  tookOver: z.number(),
  notStarted: z.number(),
  stopped: z.boolean(),
  abandoned: z.array(z.string()),
  failures: z.array(z.object({ alertId: z.string(), error: z.string() })),
});
const runLineSchema = z.object({
  run: z.number(),
  summary: summarySchema,
  watermarkBefore: z.string().nullable(),
  watermarkAfter: z.string().nullable(),
});

describe("triage batch", () => {
  it("two concurrent batches over one database triage every alert exactly once", async () => {
    const env = freshEnv("concurrent");
    const [a, b] = await Promise.all([
      runCliAsync(["batch", "--json", "--concurrency", "3"], env),
      runCliAsync(["batch", "--json", "--concurrency", "3"], env),
    ]);
    // A process that printed no summary failed: show why.
    expect([a?.stderr, b?.stderr].filter((e) => e && !/npm warn/.test(e))).toEqual([]);
    const sa = summarySchema.parse(JSON.parse(a?.stdout ?? ""));
    const sb = summarySchema.parse(JSON.parse(b?.stdout ?? ""));
    expect(sa.triaged + sb.triaged).toBe(sa.listed);
    expect(sa.triaged + sa.skippedAlreadyTaken).toBe(sa.listed);
    const db = new Database(env.TRIAGE_DB, { readonly: true });
    const perAlert = z
      .array(z.object({ n: z.number() }))
      .parse(db.prepare("SELECT COUNT(*) AS n FROM cases GROUP BY alert_id").all());
    db.close();
    expect(perAlert).toHaveLength(sa.listed);
    expect(perAlert.every((r) => r.n === 1)).toBe(true);
  });

  it("records a poisoned alert as failed with its reason and triages the rest", async () => {
    const labPath = join(dir, "poisoned-lab.db");
    poisonedLab(labPath);
    const run = await runCliAsync(["batch", "--json"], {
      TRIAGE_DB: join(dir, "poisoned-cases.db"),
      TRIAGE_LAB_DB: labPath,
    });
    const summary = summarySchema.parse(JSON.parse(run.stdout));
    expect(run.code).toBe(1);
    expect(summary.triaged).toBe(2);
    expect(summary.failures).toEqual([{ alertId: "FX-BAD", error: expect.stringMatching(/FX-BAD/) }]);
  });

  it("refuses bad options with one line", async () => {
    const run = await runCliAsync(["batch", "--concurrency", "0"], {
      TRIAGE_DB: join(dir, "x.db"),
      TRIAGE_LAB_DB: seededLab,
    });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("triage: --concurrency must be a whole number from 1 to 64, got 0");
  });

  it("stops cleanly on SIGTERM (exit 0, summary printed); a restart triages the rest, each alert once", async () => {
    const env = freshEnv("sigterm", 40);
    const first = await runCliSignalled(["batch", "--concurrency", "2"], env, "SIGTERM", firstProgressLine);
    expect(first.signalled).toBe(true);
    expect(first.code).toBe(0);
    const counts = /^triaged (\d+) of 40 alerts .*; 0 failed; /.exec(first.stdout);
    const left = /stopped: (\d+) alerts not started, left unclaimed for the next run/.exec(first.stdout);
    const triaged = Number(counts?.[1]);
    const notStarted = Number(left?.[1]);
    expect(triaged).toBeGreaterThanOrEqual(1);
    expect(notStarted).toBeGreaterThan(0);
    expect(triaged + notStarted).toBe(40);
    // In-flight alerts finished and recorded their claims; never-started ones hold none.
    const claims = claimRows(env.TRIAGE_DB);
    expect(claims).toHaveLength(triaged);
    expect(claims.every((c) => c.status === "done")).toBe(true);

    const second = await runCliAsync(["batch", "--json"], env);
    expect(second.code).toBe(0);
    const summary = summarySchema.parse(JSON.parse(second.stdout));
    expect(summary).toMatchObject({
      listed: 40,
      triaged: notStarted,
      skippedAlreadyTaken: triaged,
      stopped: false,
    });
    const perAlert = casesPerAlert(env.TRIAGE_DB);
    expect([...perAlert.keys()].sort()).toEqual(labAlertIds(env.TRIAGE_LAB_DB).sort());
    expect([...perAlert.values()].every((n) => n === 1)).toBe(true);
  }, 180_000);

  it("after kill -9 mid-batch, the dead worker's alerts are taken over once their lease passes", async () => {
    const env = freshEnv("sigkill", 40);
    // The process dies like kill -9 right after a checkpoint, so inside an alert whose claim is running
    // (killed from outside at a progress line instead, it could die between alerts with no claim open).
    const killed = await runCliAsync(["batch", "--workers", "1", "--concurrency", "2"], {
      ...env,
      TRIAGE_TEST_KILL_AFTER_CHECKPOINTS: "12",
    });
    expect(killed.code).toBe(137);
    const stranded = claimRows(env.TRIAGE_DB).filter((c) => c.status === "running");
    expect(stranded.length).toBeGreaterThanOrEqual(1);

    // While the lease is live, another batch leaves them alone.
    const early = summarySchema.parse(
      JSON.parse((await runCliAsync(["batch", "--json", "--limit", "5"], env)).stdout),
    );
    expect(early.tookOver).toBe(0);
    expect(claimRows(env.TRIAGE_DB).filter((c) => c.status === "running")).toEqual(stranded);

    // Ten minutes later, as far as the claims can tell.
    const db = new Database(env.TRIAGE_DB);
    db.prepare(
      "UPDATE batch_claims SET lease_until = '2000-01-01T00:00:00.000Z' WHERE status = 'running'",
    ).run();
    db.close();
    const after = await runCliAsync(["batch", "--json"], env);
    expect(after.code).toBe(0);
    expect(summarySchema.parse(JSON.parse(after.stdout)).tookOver).toBe(stranded.length);
    const claims = claimRows(env.TRIAGE_DB);
    expect(claims).toHaveLength(40);
    expect(claims.every((c) => c.status === "done")).toBe(true);
    // Only a stranded alert may have a second case: the dead worker's half-finished one.
    const twice = [...casesPerAlert(env.TRIAGE_DB)].filter(([, n]) => n > 1).map(([id]) => id);
    expect(twice.every((id) => stranded.some((c) => c.alert_id === id))).toBe(true);
  }, 180_000);
});

describe("triage schedule", () => {
  it("--once from the watermark: SIGTERM, restart takes the rest, then nothing new, then only new alerts", async () => {
    const env = freshEnv("schedule", 40);
    const once = ["schedule", "--cron", "*/5 * * * *", "--once"];
    const first = await runCliSignalled(once, env, "SIGTERM", firstProgressLine);
    expect(first.signalled).toBe(true);
    expect(first.code).toBe(0);
    const triaged = Number(/ run 1: triaged (\d+) of 40 alerts/.exec(first.stdout)?.[1]);
    expect(triaged).toBeGreaterThanOrEqual(1);
    expect(first.stdout).toMatch(/stopped: \d+ alerts not started/);

    const runOf = (run: CliRun) => runLineSchema.parse(JSON.parse(run.stdout));
    const second = runOf(await runCliAsync([...once, "--json"], env));
    expect(second.summary.triaged).toBe(40 - triaged);
    const third = runOf(await runCliAsync([...once, "--json"], env));
    expect(third.summary.listed).toBe(0);
    expect(third.watermarkAfter).toBe(second.watermarkAfter);

    const lab = new Database(env.TRIAGE_LAB_DB);
    const row = z
      .object({ doc: z.string() })
      .parse(lab.prepare("SELECT doc FROM alerts WHERE id = 'LAB-0001'").get());
    const template = z.record(z.string(), z.unknown()).parse(JSON.parse(row.doc));
    const later = new Date(Date.parse(second.watermarkAfter ?? "") + 60_000).toISOString();
    for (const id of ["NEW-1", "NEW-2"])
      lab
        .prepare("INSERT INTO alerts (id, created_at, family, type, doc) VALUES (?, ?, ?, ?, ?)")
        .run(
          id,
          later,
          template.family,
          template.type,
          JSON.stringify({ ...template, id, createdAt: later }),
        );
    lab.close();
    const fourth = runOf(await runCliAsync([...once, "--json"], env));
    expect(fourth.summary).toMatchObject({ listed: 2, triaged: 2 });
    expect(fourth.watermarkAfter).toBe(later);

    const perAlert = casesPerAlert(env.TRIAGE_DB);
    expect([...perAlert.keys()].sort()).toEqual(labAlertIds(env.TRIAGE_LAB_DB).sort());
    expect([...perAlert.values()].every((n) => n === 1)).toBe(true);
  }, 180_000);

  it("runs on its cron until SIGTERM, one JSON line per run, then exits 0", async () => {
    const labPath = join(dir, "cron-lab.db");
    createFixtureLab(labPath).close();
    const env = { TRIAGE_DB: join(dir, "cron-cases.db"), TRIAGE_LAB_DB: labPath };
    const run = await runCliSignalled(
      ["schedule", "--cron", "* * * * * *", "--json"],
      env,
      "SIGTERM",
      ({ stdout }) => stdout.includes("\n"),
    );
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split("\n")
      .map((l) => runLineSchema.parse(JSON.parse(l)));
    expect(lines[0]?.summary).toMatchObject({ listed: 2, triaged: 2 });
    expect(lines.slice(1).every((l) => l.summary.listed === 0)).toBe(true);
    expect([...casesPerAlert(env.TRIAGE_DB).values()]).toEqual([1, 1]);
  });

  it("refuses a bad cron pattern with one line and exit 2, before touching case memory", async () => {
    const run = await runCliAsync(["schedule", "--cron", "61 * * * *", "--once"], {
      TRIAGE_DB: join(dir, "never-cases.db"),
      TRIAGE_LAB_DB: seededLab,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'triage: --cron "61 * * * *" is not a cron pattern: Invalid value for minute: 61\n',
    );
    expect(existsSync(join(dir, "never-cases.db"))).toBe(false);
  });
});
