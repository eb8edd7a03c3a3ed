/**
 * The alert queue on PostgreSQL, with pg-boss: jobs are rows taken with SELECT … FOR UPDATE SKIP LOCKED, so
 * any number of workers on any number of machines share one queue with no other server to run. The queue
 * lives in its own schema (`pgboss`) of the database it is given, which may be the case memory's own.
 * It sits in memory/, not tools/: tools/ reach the SOC's systems the agent investigates and acts on, while
 * the queue, like case memory, is the deployment's own state, kept on the same database server.
 *
 * Workers poll with their own loop rather than pg-boss's work(): each slot takes one job, settles it
 * (complete or fail) and only then takes the next, and a stop signal ends the loop between jobs, so a
 * SIGTERM never leaves a job half-recorded.
 */
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import PgBoss from "pg-boss";
import { z } from "zod";
import { describeError } from "../../core/errors.ts";
import type { AlertQueue, EnqueueResult, QueuedAlert, QueuedOutcome, WorkOptions } from "../../core/ports.ts";

export const QUEUE_NAME = "triage-alerts";

const queuedAlertSchema = z.object({ source: z.string().min(1), alertId: z.string().min(1) }).strict();

export interface PgBossQueueOptions {
  /** A job in flight longer than this is taken to be its worker's death and handed out again. */
  expireInSeconds: number;
  /** How often a job is handed out again after its worker failed or died (default 2). */
  retryLimit?: number;
  retryDelaySeconds?: number;
  /** Workers run pg-boss's maintenance (expiring jobs of dead workers); producers need not. */
  supervise: boolean;
  /** How often maintenance runs (pg-boss's default: 120 s). */
  maintenanceIntervalSeconds?: number;
  /** Connections in the pool (default 4). */
  maxConnections?: number;
  /** Problems outside any one job (the database went away, maintenance failed): one line each. */
  onError?: (message: string) => void;
}

/**
 * The job id of an alert: the same alert enqueued twice while its first job is still in the queue is not
 * queued again (pg-boss inserts with ON CONFLICT DO NOTHING). A UUID, as pg-boss requires, from a hash.
 */
export function jobIdOf(alert: QueuedAlert): string {
  const hex = createHash("sha256").update(`${alert.source}\n${alert.alertId}`).digest("hex");
  // Version 5-style bits, so it is a well-formed UUID whatever the hash.
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export class PgBossAlertQueue implements AlertQueue {
  private readonly boss: PgBoss;
  private readonly options: PgBossQueueOptions;

  private constructor(boss: PgBoss, options: PgBossQueueOptions) {
    this.boss = boss;
    this.options = options;
  }

  /** Connects, installs or migrates pg-boss's schema (once, under its advisory lock) and the queue. */
  static async open(url: string, options: PgBossQueueOptions): Promise<PgBossAlertQueue> {
    const boss = new PgBoss({
      connectionString: url,
      application_name: "soc-triage",
      max: options.maxConnections ?? 4,
      supervise: options.supervise,
      ...(options.maintenanceIntervalSeconds === undefined
        ? {}
        : { maintenanceIntervalSeconds: options.maintenanceIntervalSeconds }),
      // Cron scheduling is `triage schedule`'s job; pg-boss's own scheduler stays off.
      schedule: false,
    });
    // An EventEmitter with no 'error' listener throws: every pg-boss error is reported as a line instead.
    boss.on("error", (error) => options.onError?.(`queue: ${describeError(error)}`));
    await boss.start();
    await boss.createQueue(QUEUE_NAME);
    return new PgBossAlertQueue(boss, options);
  }

  async enqueue(alerts: readonly QueuedAlert[]): Promise<EnqueueResult> {
    let enqueued = 0;
    for (const alert of alerts) {
      const data = queuedAlertSchema.parse(alert);
      const id = await this.boss.send(QUEUE_NAME, data, {
        id: jobIdOf(data),
        expireInSeconds: this.options.expireInSeconds,
        retryLimit: this.options.retryLimit ?? 2,
        retryDelay: this.options.retryDelaySeconds ?? 10,
        retryBackoff: true,
      });
      if (id !== null) enqueued++;
    }
    return { enqueued, alreadyQueued: alerts.length - enqueued };
  }

  async work(handler: (alert: QueuedAlert) => Promise<QueuedOutcome>, options: WorkOptions): Promise<void> {
    const pollMs = options.pollMs ?? 1000;
    const idle = async () => {
      // An aborted wait is the stop signal: the loop condition ends the slot.
      await sleep(pollMs, undefined, { signal: options.signal }).catch(() => undefined);
    };
    const slot = async () => {
      while (!options.signal.aborted) {
        let job: PgBoss.Job<unknown> | undefined;
        try {
          [job] = await this.boss.fetch<unknown>(QUEUE_NAME, { batchSize: 1 });
        } catch (error) {
          this.options.onError?.(`queue: could not fetch a job: ${describeError(error)}`);
          await idle();
          continue;
        }
        if (job === undefined) {
          await idle();
          continue;
        }
        await this.settle(job, handler);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, slot));
  }

  /** Runs the handler on one job and records its outcome; a failure is that job's alone. */
  private async settle(
    job: PgBoss.Job<unknown>,
    handler: (alert: QueuedAlert) => Promise<QueuedOutcome>,
  ): Promise<void> {
    const parsed = queuedAlertSchema.safeParse(job.data);
    try {
      if (!parsed.success) {
        await this.boss.fail(QUEUE_NAME, job.id, {
          error: `malformed job: ${parsed.error.issues[0]?.message ?? "invalid"}`,
        });
        return;
      }
      let outcome: QueuedOutcome;
      try {
        outcome = await handler(parsed.data);
      } catch (error) {
        await this.boss.fail(QUEUE_NAME, job.id, { error: describeError(error) });
        return;
      }
      await this.boss.complete(QUEUE_NAME, job.id, outcome);
    } catch (error) {
      // The outcome could not be recorded: the job expires and is handed out again, and the alert's claim
      // in case memory keeps it from being triaged twice.
      this.options.onError?.(`queue: job ${job.id} not recorded: ${describeError(error)}`);
    }
  }

  /** Every job of the queue with its state and output, oldest first (tests and benchmarks). */
  async jobs(): Promise<Array<{ data: unknown; state: string; output: unknown }>> {
    const result = await this.boss
      .getDb()
      .executeSql("SELECT data, state, output FROM pgboss.job WHERE name = $1 ORDER BY created_on, id", [
        QUEUE_NAME,
      ]);
    const row = z.object({ data: z.unknown(), state: z.string(), output: z.unknown() });
    return result.rows.map((r: unknown) => row.parse(r));
  }

  async close(): Promise<void> {
    // No pg-boss worker runs here (the loop above is ours), so nothing is waited for but the pool.
    await this.boss.stop({ graceful: false, close: true, wait: true });
  }
}
