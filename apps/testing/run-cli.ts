/** Runs the real `triage` binary in a child process, as a user would. */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../../agent/config.ts";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string>): CliRun {
  const result = spawnSync(process.execPath, [join(projectRoot, "bin", "triage.js"), ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env, NO_COLOR: "1" },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A started `triage` child: its result once it exits, and a way to kill it like kill -9. */
export interface StartedCli {
  done: Promise<CliRun>;
  kill: () => void;
  /** Sends a signal as a supervisor would (SIGTERM to stop a worker). */
  signal: (name: NodeJS.Signals) => void;
  /** What the child has written so far. */
  output: () => { stdout: string; stderr: string };
}

/** Starts the binary without waiting for it; a child killed by a signal exits 137, as in a shell. */
export function startCli(args: string[], env: Record<string, string>): StartedCli {
  const child = spawn(process.execPath, [join(projectRoot, "bin", "triage.js"), ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env, NO_COLOR: "1" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  const done = new Promise<CliRun>((resolve) =>
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 137 : -1), stdout, stderr })),
  );
  return {
    done,
    kill: () => void child.kill("SIGKILL"),
    signal: (name) => void child.kill(name),
    output: () => ({ stdout, stderr }),
  };
}

/** The same as runCli, without blocking the event loop: for tests whose fake servers live in this process. */
export function runCliAsync(args: string[], env: Record<string, string>): Promise<CliRun> {
  return startCli(args, env).done;
}

/** Two people answer one paused case at once, from two processes: alice approves, bob denies. */
export async function answerAtOnce(
  caseId: string,
  env: Record<string, string>,
): Promise<{ approve: CliRun; deny: CliRun }> {
  const [approve, deny] = await Promise.all([
    runCliAsync(["approve", caseId, "--by", "alice"], env),
    runCliAsync(["approve", caseId, "--deny", "--by", "bob"], env),
  ]);
  return { approve, deny };
}

/** A temp directory and an environment that keeps every database in it and ignores the user's config. */
export function scratchCliEnv(prefix: string): { dir: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    env: {
      TRIAGE_DB: join(dir, "cases.db"),
      TRIAGE_LAB_DB: join(dir, "lab.db"),
      TRIAGE_POLICY: "",
      TRIAGE_CONFIG: "",
    },
  };
}
