/**
 * Kill trials: real `triage` child processes killed with SIGKILL at node boundaries (the checkpoint hook)
 * or with an action in flight (the lab's action delay), then recovered (`triage recover`, a later
 * `triage approve`, or another batch or queue worker taking the alerts over once their lease passed). The
 * lab's action log is the vendor's view: each trial's log must equal the log of the same work done without
 * a crash, action for action, so every allowed or approved action ran exactly once. Case memory is a SQLite
 * file or, given a server, a PostgreSQL database per trial. Used by apps/recovery.test.ts and
 * apps/postgres-kill.test.ts (a few trials) and bench/kill-trials.ts (50 and more).
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { z } from "zod";
import { openLab } from "../../tools/lab/index.ts";
import { runCliAsync, startCli, type StartedCli } from "./run-cli.ts";
import {
  actionLog,
  compareLogs as compare,
  countRows as count,
  listColumn,
  trialEnv,
  type TrialDatabases,
} from "./trial-env.ts";

/** `worker`: `triage worker` processes on the alert queue; PostgreSQL only. */
export type TrialKind = "approve" | "batch" | "schedule" | "worker";

export interface TrialResult {
  kind: TrialKind;
  /** How the first process died: `checkpoint N`, `in action +Nms`, or `finished` (the kill came late). */
  killedAt: string;
  recoveredBy: string;
  expected: number;
  ran: number;
  lost: number;
  duplicated: number;
  /** Cases still investigating or actions still started after recovery: must be 0. */
  leftBehind: number;
  superseded: number;
  /** Alerts with more than one case superseded by none (one triaged twice): must be 0. */
  duplicateCases: number;
  /** Alerts whose claim the killed process left running (batch and worker trials). */
  stranded: string[];
  /** The trial's directory and case memory, for checks beyond the action log. */
  dir: string;
  caseDatabase: string;
}

const start = startCli;
const run = runCliAsync;

const caseRow = z.object({ id: z.string(), alert_id: z.string() });

export interface TrialSetup {
  dir: string;
  labTemplate: string;
  /** Alerts a batch takes per run. */
  limit: number;
  /** The alert whose case waits for approval, for approve trials, and the reference logs. */
  approveAlert: string;
  expectedApprove: Map<string, number>;
  expectedBatch: Map<string, number>;
  /** Where the trials' case memory lives (the reference runs are on SQLite: the same work, either engine). */
  databases: TrialDatabases;
}

const sqliteOnly: TrialDatabases = { engine: "sqlite" };
const envFor = (dir: string, labTemplate: string, name: string, databases: TrialDatabases = sqliteOnly) =>
  trialEnv(dir, labTemplate, name, databases);

function caseIdOf(stdout: string): string {
  return z.object({ caseId: z.string() }).parse(JSON.parse(stdout)).caseId;
}

/** The lab template and the reference logs: the same work, done without a crash. */
export async function prepareTrials(
  dir: string,
  options: { limit: number; databases?: TrialDatabases },
): Promise<TrialSetup> {
  const labTemplate = join(dir, "lab-template.db");
  openLab(labTemplate, { seed: 1337 }).close();
  const batchEnv = await envFor(dir, labTemplate, "reference-batch");
  const batch = await run(batchArgs("batch", options.limit), batchEnv);
  if (batch.code !== 0) throw new Error(`reference batch failed: ${batch.stderr}`);
  const paused = new Database(batchEnv.TRIAGE_DB ?? "", { readonly: true });
  const first = paused
    .prepare("SELECT id, alert_id FROM cases WHERE status = 'awaiting_approval' ORDER BY created_at LIMIT 1")
    .get();
  paused.close();
  const approveAlert = caseRow.parse(first).alert_id;
  const approveEnv = await envFor(dir, labTemplate, "reference-approve");
  const opened = await run([approveAlert, "--execute", "--json"], approveEnv);
  const approved = await run(["approve", caseIdOf(opened.stdout), "--by", "alice", "--json"], approveEnv);
  if (approved.code !== 0) throw new Error(`reference approve failed: ${approved.stderr}`);
  return {
    dir,
    labTemplate,
    limit: options.limit,
    approveAlert,
    expectedApprove: actionLog(approveEnv.TRIAGE_LAB_DB ?? ""),
    expectedBatch: actionLog(batchEnv.TRIAGE_LAB_DB ?? ""),
    databases: options.databases ?? sqliteOnly,
  };
}

function batchArgs(kind: "batch" | "schedule", limit: number): string[] {
  const common = ["--execute", "--concurrency", "4", "--limit", String(limit), "--lease", "2", "--json"];
  // One batch process: the trials kill it; worker processes (--workers) have tests of their own.
  return kind === "batch"
    ? ["batch", "--workers", "1", ...common]
    : ["schedule", "--once", "--cron", "* * * * *", ...common];
}

/** A seeded generator, so a failing trial can be replayed. */
export function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

/**
 * Waits for `child` to exit; a long-running one (`triage worker`) is stopped with SIGTERM once `idle` says
 * its work is done. Its exit code (137 when killed).
 */
async function exitOrIdle(child: StartedCli, idle: (() => Promise<boolean>) | undefined): Promise<number> {
  if (idle === undefined) return (await child.done).code;
  let exited = false;
  void child.done.then(() => (exited = true));
  const deadline = Date.now() + 120_000;
  while (!exited && !(await idle()) && Date.now() < deadline) await sleep(100);
  if (!exited) child.signal("SIGTERM");
  return (await child.done).code;
}

/**
 * Starts `args` with a fault: SIGKILL after a random checkpoint, or with an action in flight (the lab
 * delays before and after acting; the kill lands a random moment after the intent is recorded). `idle`
 * tells when a process that does not exit by itself has nothing left to do (the kill came too late).
 */
async function killSomewhere(
  args: string[],
  env: Record<string, string>,
  rand: () => number,
  maxCheckpoint: number,
  fault: Fault | undefined,
  idle?: () => Promise<boolean>,
): Promise<string> {
  if (fault === "checkpoint" || (fault === undefined && rand() < 0.5)) {
    const at = 1 + Math.floor(rand() * maxCheckpoint);
    const child = start(args, { ...env, TRIAGE_TEST_KILL_AFTER_CHECKPOINTS: String(at) });
    return (await exitOrIdle(child, idle)) === 137 ? `checkpoint ${at}` : "finished";
  }
  const delay = 150 + Math.floor(rand() * 350);
  const child = start(args, { ...env, TRIAGE_TEST_ACTION_DELAY_MS: String(delay) });
  let exited = false;
  void child.done.then(() => (exited = true));
  const started = "SELECT COUNT(*) AS n FROM action_runs WHERE status = 'started'";
  while (!exited && (await count(env.TRIAGE_DB ?? "", started)) === 0) {
    if (idle && (await idle())) return (await exitOrIdle(child, idle)) === 137 ? "killed idle" : "finished";
    await sleep(25);
  }
  // The responder waits `delay` before and after acting, so a kill within 1.8 × delay of the intent lands
  // while that action is in flight (before or after the vendor call), however many actions the case has.
  const extra = Math.floor(rand() * delay * 1.8);
  await sleep(extra);
  child.kill();
  return (await child.done).code === 137 ? `in action +${extra}ms` : "finished";
}

async function leftBehind(env: Record<string, string>): Promise<number> {
  const db = env.TRIAGE_DB ?? "";
  return (
    (await count(db, "SELECT COUNT(*) AS n FROM cases WHERE status = 'investigating'")) +
    (await count(db, "SELECT COUNT(*) AS n FROM action_runs WHERE status = 'started'"))
  );
}

function superseded(env: Record<string, string>): Promise<number> {
  return count(env.TRIAGE_DB ?? "", "SELECT COUNT(*) AS n FROM cases WHERE superseded_by IS NOT NULL");
}

function duplicateCases(env: Record<string, string>): Promise<number> {
  const twice =
    "SELECT alert_id FROM cases WHERE superseded_by IS NULL GROUP BY alert_id HAVING COUNT(*) > 1";
  return count(env.TRIAGE_DB ?? "", `SELECT COUNT(*) AS n FROM (${twice}) AS t`);
}

/** The alerts whose claim a killed process left running: the ones another worker must take over. */
function strandedAlerts(env: Record<string, string>): Promise<string[]> {
  return listColumn(
    env.TRIAGE_DB ?? "",
    "SELECT alert_id AS value FROM batch_claims WHERE status = 'running' ORDER BY alert_id",
  ).catch(() => []);
}

/** Where the first process dies: at a node boundary, or with an action in flight; random by default. */
export type Fault = "checkpoint" | "in-action";

/** Jobs of the alert queue not yet completed or failed (the queue lives in case memory's database). */
const unsettledJobs = (env: Record<string, string>) =>
  count(
    env.TRIAGE_DB ?? "",
    "SELECT COUNT(*) AS n FROM pgboss.job WHERE name = 'triage-alerts' AND state NOT IN ('completed', 'failed')",
  );

/**
 * A worker trial: the alerts are enqueued, a `triage worker` is killed mid-alert, and another worker takes
 * every job to the end: the dead worker's jobs once pg-boss has expired them and its claims' leases (2 s)
 * have passed. The queue's timings follow the lease (apps/queue-work.ts queueTimings), so that is seconds.
 */
async function workerTrial(
  setup: TrialSetup,
  env: Record<string, string>,
  rand: () => number,
  fault: Fault | undefined,
  recoverFirst: boolean,
): Promise<{ killedAt: string; stranded: string[]; recoveredBy: string }> {
  const lease = ["--lease", "2"];
  const enqueued = await run(["batch", "--enqueue", "--json", "--limit", String(setup.limit), ...lease], env);
  if (enqueued.code !== 0) throw new Error(`enqueue failed: ${enqueued.stderr}`);
  const args = ["worker", "--json", "--poll", "50", "--concurrency", "4", "--execute", ...lease];
  const idle = async () => (await unsettledJobs(env)) === 0;
  const killedAt = await killSomewhere(args, env, rand, setup.limit * 10, fault, idle);
  const stranded = await strandedAlerts(env);
  // An operator may run `triage recover` before any worker has taken the dead one's alerts over.
  const early = recoverFirst ? `recover (exit ${(await run(["recover", "--json"], env)).code}) + ` : "";
  const takeover = await exitOrIdle(start(args, env), idle);
  return { killedAt, stranded, recoveredBy: `${early}worker takeover (exit ${takeover})` };
}

/** One trial of `kind`, numbered `index` (its directory and its random seed). */
export async function runTrial(
  setup: TrialSetup,
  kind: TrialKind,
  index: number,
  options: {
    fault?: Fault;
    /** Approve trials: how the killed approve is finished (random by default). */
    recoverBy?: "approve" | "recover";
    /** Worker trials: `triage recover` runs between the kill and the takeover. */
    recoverFirst?: boolean;
  } = {},
): Promise<TrialResult> {
  const rand = random(index * 7919 + 17);
  const env = await envFor(setup.dir, setup.labTemplate, `trial-${index}-${kind}`, setup.databases);
  const outcome = async (
    killedAt: string,
    recoveredBy: string,
    stranded: string[],
  ): Promise<TrialResult> => ({
    kind,
    killedAt,
    recoveredBy,
    ...compare(
      kind === "approve" ? setup.expectedApprove : setup.expectedBatch,
      actionLog(env.TRIAGE_LAB_DB ?? ""),
    ),
    leftBehind: await leftBehind(env),
    superseded: await superseded(env),
    duplicateCases: await duplicateCases(env),
    stranded,
    dir: join(setup.dir, `trial-${index}-${kind}`),
    caseDatabase: env.TRIAGE_DB ?? "",
  });
  if (kind === "approve") {
    const opened = await run([setup.approveAlert, "--execute", "--json"], env);
    const caseId = caseIdOf(opened.stdout);
    const killedAt = await killSomewhere(
      ["approve", caseId, "--by", "alice", "--json"],
      env,
      rand,
      3,
      options.fault,
    );
    const byApprove = rand() < 0.5;
    const by = options.recoverBy ?? (byApprove ? "approve" : "recover");
    const recovery = await run(
      by === "approve" ? ["approve", caseId, "--by", "bob", "--json"] : ["recover", "--json"],
      env,
    );
    return outcome(killedAt, `${by} (exit ${recovery.code})`, []);
  }
  if (kind === "worker") {
    if (setup.databases.engine !== "postgres")
      throw new Error("worker trials need PostgreSQL (the alert queue)");
    const trial = await workerTrial(setup, env, rand, options.fault, options.recoverFirst ?? false);
    const recover = await run(["recover", "--json"], env);
    return outcome(trial.killedAt, `${trial.recoveredBy} + recover (exit ${recover.code})`, trial.stranded);
  }
  const args = batchArgs(kind, setup.limit);
  const killedAt = await killSomewhere(args, env, rand, setup.limit * 10, options.fault);
  const stranded = await strandedAlerts(env);
  // The dead worker's claims hold until their 2 s lease passes; then the next run takes them over.
  await sleep(2_300);
  const takeover = await run(args, env);
  const recover = await run(["recover", "--json"], env);
  return outcome(
    killedAt,
    `${kind} takeover (exit ${takeover.code}) + recover (exit ${recover.code})`,
    stranded,
  );
}
