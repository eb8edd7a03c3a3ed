/**
 * `triage batch --workers N`: N child processes, each with its own case-memory connection, triage the
 * alerts this process lists and hands out, so the engine's single thread is no longer the limit. Each
 * alert is still claimed in case memory by the process that triages it (the same exactly-once claims as
 * concurrent batches), and every result comes back here, so the summary is built exactly as in one
 * process. A child runs the CLI's own entry with the hidden `batch-worker` command.
 */
import { fork, type ChildProcess } from "node:child_process";
import { z } from "zod";
import type { ConfigOverrides } from "../agent/config.ts";
import { TriageError } from "../core/errors.ts";
import { WORKER_COMMAND } from "./worker-command.ts";
import { alertResultSchema, type AlertResult, type AlertRunner } from "./batch.ts";

/** The hidden subcommand a worker process runs. */
export { WORKER_COMMAND };

/** Parent → worker. */
export const toWorkerSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("init"),
    overrides: z.object({
      config: z.string().optional(),
      db: z.string().optional(),
      labDb: z.string().optional(),
      policy: z.string().optional(),
      source: z.string().optional(),
      leaseSeconds: z.number().optional(),
    }),
    dryRun: z.boolean(),
  }),
  z.object({
    type: z.literal("triage"),
    job: z.number(),
    alert: z.object({ id: z.string() }),
  }),
  z.object({ type: z.literal("close") }),
]);
export type ToWorker = z.infer<typeof toWorkerSchema>;

/** Worker → parent. */
export const fromWorkerSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready"), worker: z.string() }),
  z.object({ type: z.literal("fatal"), error: z.string() }),
  z.object({ type: z.literal("result"), job: z.number(), result: alertResultSchema }),
]);
export type FromWorker = z.infer<typeof fromWorkerSchema>;

export interface WorkerPool extends AlertRunner {
  /** The worker ids, one per process, as their claims record them. */
  workers: string[];
  /** Lets every worker finish what it holds and exit; resolves when all have. */
  close: () => Promise<void>;
  /** Kills every worker at once (the grace period is over): their claims stay running until the lease passes. */
  kill: () => void;
}

interface Child {
  process: ChildProcess;
  worker: string;
  inFlight: Map<number, { resolve: (result: AlertResult) => void }>;
  alive: boolean;
  exited: Promise<void>;
}

/** Only what ConfigOverrides says, without undefined values (IPC would drop them anyway). */
function plainOverrides(overrides: ConfigOverrides): ToWorker & { type: "init" } {
  const entries = Object.entries(overrides).filter(([, v]) => v !== undefined);
  return {
    type: "init",
    overrides: toWorkerSchema.options[0].shape.overrides.parse(Object.fromEntries(entries)),
    dryRun: true,
  };
}

function startChild(entry: string, init: ToWorker): Promise<Child> {
  // Its own process group: a terminal's Ctrl-C reaches this process only, which stops the children
  // cleanly (they finish the alerts they hold) instead of killing them mid-alert.
  const child = fork(entry, [WORKER_COMMAND], {
    stdio: ["ignore", "ignore", "inherit", "ipc"],
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise<Child>((resolve, reject) => {
    const onExit = (code: number | null, signal: string | null) =>
      reject(
        new TriageError(
          "INTERNAL",
          `batch worker process exited while starting (${signal ?? `exit ${code}`})`,
        ),
      );
    child.once("exit", onExit);
    child.once("message", (raw: unknown) => {
      child.off("exit", onExit);
      const message = fromWorkerSchema.safeParse(raw);
      if (!message.success || message.data.type === "result") {
        child.kill("SIGKILL");
        return reject(new TriageError("INTERNAL", "batch worker process sent no ready message"));
      }
      if (message.data.type === "fatal") return reject(new TriageError("INTERNAL", message.data.error));
      resolve({ process: child, worker: message.data.worker, inFlight: new Map(), alive: true, exited });
    });
    child.send(init);
  });
}

/**
 * Forks `count` workers of `entry` (the CLI's script) and waits until each has opened its runtime. A
 * worker that dies mid-run fails the alerts it held as `lost` (their claims stay running until the
 * lease passes, so a later run takes them over); the others go on.
 */
export async function startWorkerPool(options: {
  entry: string;
  count: number;
  concurrency: number;
  overrides: ConfigOverrides;
  dryRun: boolean;
}): Promise<WorkerPool> {
  const init = { ...plainOverrides(options.overrides), dryRun: options.dryRun };
  const started = await Promise.allSettled(
    Array.from({ length: options.count }, () => startChild(options.entry, init)),
  );
  const children = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    for (const c of children) c.process.kill("SIGKILL");
    throw failed.reason;
  }
  let jobs = 0;
  for (const child of children) {
    child.process.on("message", (raw: unknown) => {
      const message = fromWorkerSchema.safeParse(raw);
      if (!message.success || message.data.type !== "result") return;
      const pending = child.inFlight.get(message.data.job);
      child.inFlight.delete(message.data.job);
      pending?.resolve(message.data.result);
    });
    child.process.once("exit", (code, signal) => {
      child.alive = false;
      for (const { resolve } of child.inFlight.values())
        resolve({
          status: "lost",
          claim: "claimed",
          error: `its batch worker process exited (${signal ?? `exit ${code}`}) while triaging it`,
          lostLease: false,
        });
      child.inFlight.clear();
    });
  }
  return {
    workers: children.map((c) => c.worker),
    slots: children.length * Math.max(1, options.concurrency),
    run(alert) {
      const idle = children.filter((c) => c.alive).sort((a, b) => a.inFlight.size - b.inFlight.size)[0];
      if (!idle) throw new TriageError("INTERNAL", "every batch worker process has exited");
      const job = ++jobs;
      return new Promise<AlertResult>((resolve) => {
        idle.inFlight.set(job, { resolve });
        idle.process.send({ type: "triage", job, alert: { id: alert.id } } satisfies ToWorker);
      });
    },
    async close() {
      for (const c of children) if (c.alive) c.process.send({ type: "close" } satisfies ToWorker);
      await Promise.all(children.map((c) => c.exited));
    },
    kill() {
      for (const c of children) if (c.alive) c.process.kill("SIGKILL");
    },
  };
}
