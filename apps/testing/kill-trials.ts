/**
 * Kill trials: real `triage` child processes killed with SIGKILL at node boundaries (the checkpoint hook)
 * or with an action in flight (the lab's action delay), then recovered (`triage recover`, a later
 * `triage approve`, or another batch taking the alerts over once their lease passed). The lab's action log
 * is the vendor's view: each trial's log must equal the log of the same work done without a crash, action
 * for action, so every allowed or approved action ran exactly once. Used by apps/recovery.test.ts (a few
 * trials) and bench/kill-trials.ts (50 and more).
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { z } from "zod";
import { openLab } from "../../tools/lab/index.ts";
import { runCliAsync, startCli } from "./run-cli.ts";

export type TrialKind = "approve" | "batch" | "schedule";

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
}

const start = startCli;
const run = runCliAsync;

const logRow = z.object({ action_type: z.string(), target: z.string() });
const countRow = z.object({ n: z.number() });
const caseRow = z.object({ id: z.string(), alert_id: z.string() });

/** The lab's action log as a multiset of `type target`. */
function actionLog(labDb: string): Map<string, number> {
  const db = new Database(labDb, { readonly: true });
  try {
    const counts = new Map<string, number>();
    for (const raw of db.prepare("SELECT action_type, target FROM action_log").all()) {
      const row = logRow.parse(raw);
      const key = `${row.action_type} ${row.target}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  } finally {
    db.close();
  }
}

function count(path: string, sql: string): number {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    return countRow.parse(db.prepare(sql).get()).n;
  } catch {
    return 0; // the database or its table does not exist yet: nothing there
  } finally {
    db?.close();
  }
}

function compare(expected: Map<string, number>, actual: Map<string, number>) {
  let lost = 0;
  let duplicated = 0;
  for (const key of new Set([...expected.keys(), ...actual.keys()])) {
    const diff = (actual.get(key) ?? 0) - (expected.get(key) ?? 0);
    if (diff > 0) duplicated += diff;
    else lost -= diff;
  }
  const total = (m: Map<string, number>) => [...m.values()].reduce((s, n) => s + n, 0);
  return { expected: total(expected), ran: total(actual), lost, duplicated };
}

export interface TrialSetup {
  dir: string;
  labTemplate: string;
  /** Alerts a batch takes per run. */
  limit: number;
  /** The alert whose case waits for approval, for approve trials, and the reference logs. */
  approveAlert: string;
  expectedApprove: Map<string, number>;
  expectedBatch: Map<string, number>;
}

function envFor(dir: string, labTemplate: string, name: string): Record<string, string> {
  const trial = join(dir, name);
  mkdirSync(trial, { recursive: true });
  copyFileSync(labTemplate, join(trial, "lab.db"));
  return {
    TRIAGE_DB: join(trial, "cases.db"),
    TRIAGE_LAB_DB: join(trial, "lab.db"),
    TRIAGE_POLICY: "",
    TRIAGE_CONFIG: "",
  };
}

function caseIdOf(stdout: string): string {
  return z.object({ caseId: z.string() }).parse(JSON.parse(stdout)).caseId;
}

/** The lab template and the reference logs: the same work, done without a crash. */
export async function prepareTrials(dir: string, options: { limit: number }): Promise<TrialSetup> {
  const labTemplate = join(dir, "lab-template.db");
  openLab(labTemplate, { seed: 1337 }).close();
  const batchEnv = envFor(dir, labTemplate, "reference-batch");
  const batch = await run(batchArgs("batch", options.limit), batchEnv);
  if (batch.code !== 0) throw new Error(`reference batch failed: ${batch.stderr}`);
  const paused = new Database(batchEnv.TRIAGE_DB ?? "", { readonly: true });
  const first = paused
    .prepare("SELECT id, alert_id FROM cases WHERE status = 'awaiting_approval' ORDER BY created_at LIMIT 1")
    .get();
  paused.close();
  const approveAlert = caseRow.parse(first).alert_id;
  const approveEnv = envFor(dir, labTemplate, "reference-approve");
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
 * Starts `args` with a fault: SIGKILL after a random checkpoint, or with an action in flight (the lab
 * delays before and after acting; the kill lands a random moment after the intent is recorded).
 */
async function killSomewhere(
  args: string[],
  env: Record<string, string>,
  rand: () => number,
  maxCheckpoint: number,
  fault: Fault | undefined,
): Promise<string> {
  if (fault === "checkpoint" || (fault === undefined && rand() < 0.5)) {
    const at = 1 + Math.floor(rand() * maxCheckpoint);
    const done = await run(args, { ...env, TRIAGE_TEST_KILL_AFTER_CHECKPOINTS: String(at) });
    return done.code === 137 ? `checkpoint ${at}` : "finished";
  }
  const delay = 150 + Math.floor(rand() * 350);
  const child = start(args, { ...env, TRIAGE_TEST_ACTION_DELAY_MS: String(delay) });
  let exited = false;
  void child.done.then(() => (exited = true));
  const started = "SELECT COUNT(*) AS n FROM action_runs WHERE status = 'started'";
  while (!exited && count(env.TRIAGE_DB ?? "", started) === 0) await sleep(25);
  // The responder waits `delay` before and after acting, so a kill within 1.8 × delay of the intent lands
  // while that action is in flight (before or after the vendor call), however many actions the case has.
  const extra = Math.floor(rand() * delay * 1.8);
  await sleep(extra);
  child.kill();
  return (await child.done).code === 137 ? `in action +${extra}ms` : "finished";
}

function leftBehind(env: Record<string, string>): number {
  const db = env.TRIAGE_DB ?? "";
  return (
    count(db, "SELECT COUNT(*) AS n FROM cases WHERE status = 'investigating'") +
    count(db, "SELECT COUNT(*) AS n FROM action_runs WHERE status = 'started'")
  );
}

function superseded(env: Record<string, string>): number {
  return count(env.TRIAGE_DB ?? "", "SELECT COUNT(*) AS n FROM cases WHERE superseded_by IS NOT NULL");
}

/** Where the first process dies: at a node boundary, or with an action in flight; random by default. */
export type Fault = "checkpoint" | "in-action";

/** One trial of `kind`, numbered `index` (its directory and its random seed). */
export async function runTrial(
  setup: TrialSetup,
  kind: TrialKind,
  index: number,
  options: { fault?: Fault } = {},
): Promise<TrialResult> {
  const rand = random(index * 7919 + 17);
  const env = envFor(setup.dir, setup.labTemplate, `trial-${index}-${kind}`);
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
    const recovery = await run(
      byApprove ? ["approve", caseId, "--by", "bob", "--json"] : ["recover", "--json"],
      env,
    );
    const recoveredBy = `${byApprove ? "approve" : "recover"} (exit ${recovery.code})`;
    return {
      kind,
      killedAt,
      recoveredBy,
      ...compare(setup.expectedApprove, actionLog(env.TRIAGE_LAB_DB ?? "")),
      leftBehind: leftBehind(env),
      superseded: superseded(env),
    };
  }
  const args = batchArgs(kind, setup.limit);
  const killedAt = await killSomewhere(args, env, rand, setup.limit * 10, options.fault);
  // The dead worker's claims hold until their 2 s lease passes; then the next run takes them over.
  await sleep(2_300);
  const takeover = await run(args, env);
  const recover = await run(["recover", "--json"], env);
  return {
    kind,
    killedAt,
    recoveredBy: `${kind} takeover (exit ${takeover.code}) + recover (exit ${recover.code})`,
    ...compare(setup.expectedBatch, actionLog(env.TRIAGE_LAB_DB ?? "")),
    leftBehind: leftBehind(env),
    superseded: superseded(env),
  };
}
