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

/** The same, without blocking the event loop: for tests whose fake servers live in this process. */
export function runCliAsync(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectRoot, "bin", "triage.js"), ...args], {
      cwd: projectRoot,
      env: { ...process.env, ...env, NO_COLOR: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
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
