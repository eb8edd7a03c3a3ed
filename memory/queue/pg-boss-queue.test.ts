/**
 * The pg-boss queue on a real PostgreSQL (memory/testing/postgres.ts): each test gets a fresh database.
 * Skips, saying why, where no server can be had.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { QueuedAlert, QueuedOutcome } from "../../core/ports.ts";
import { startTestPostgres } from "../testing/postgres.ts";
import { jobIdOf, PgBossAlertQueue } from "./pg-boss-queue.ts";
import { checkQueueUrl } from "./queue-url.ts";

const server = await startTestPostgres();
afterAll(async () => {
  if (server.ok) await server.postgres.stop();
});

const alerts = (n: number, source = "lab"): QueuedAlert[] =>
  Array.from({ length: n }, (_, i) => ({ source, alertId: `A-${i + 1}` }));

async function openQueue(name: string, options: { retryLimit?: number; retryDelaySeconds?: number } = {}) {
  if (!server.ok) throw new Error(server.reason);
  const url = await server.postgres.database(name);
  const errors: string[] = [];
  const open = () =>
    PgBossAlertQueue.open(url, {
      expireInSeconds: 60,
      retryLimit: options.retryLimit ?? 0,
      retryDelaySeconds: options.retryDelaySeconds ?? 1,
      supervise: false,
      onError: (line) => errors.push(line),
    });
  return { url, errors, open };
}

/** Works (every queue given, each with its own loop) until `until` holds, then stops them all. */
async function workUntil(
  queues: PgBossAlertQueue[],
  handler: (alert: QueuedAlert) => Promise<QueuedOutcome>,
  until: () => boolean,
  concurrency = 2,
) {
  const stop = new AbortController();
  const done = queues.map((queue) =>
    queue.work(
      async (alert) => {
        try {
          return await handler(alert);
        } finally {
          if (until()) stop.abort();
        }
      },
      { concurrency, signal: stop.signal, pollMs: 20 },
    ),
  );
  const timer = setTimeout(() => stop.abort(), 20_000);
  await Promise.all(done);
  clearTimeout(timer);
}

/** Works one job on `queue` with one slot (completing it as skipped); returns the alert ids it saw. */
async function firstAlertSeen(queue: PgBossAlertQueue): Promise<string[]> {
  const seen: string[] = [];
  const handler = async (alert: QueuedAlert): Promise<QueuedOutcome> => {
    seen.push(alert.alertId);
    return { status: "skipped", reason: "test" };
  };
  await workUntil([queue], handler, () => seen.length >= 1, 1);
  return seen;
}

describe.skipIf(!server.ok)(`pg-boss alert queue${server.ok ? "" : ` (skipped: ${server.reason})`}`, () => {
  it("enqueues each alert once, however often it is listed", async () => {
    const { open } = await openQueue("enqueue");
    const queue = await open();
    try {
      expect(await queue.enqueue(alerts(3))).toEqual({ enqueued: 3, alreadyQueued: 0 });
      expect(await queue.enqueue(alerts(5))).toEqual({ enqueued: 2, alreadyQueued: 3 });
      // Another source's alert of the same id is another job.
      expect(await queue.enqueue(alerts(1, "splunk"))).toEqual({ enqueued: 1, alreadyQueued: 0 });
      expect((await queue.jobs()).map((j) => j.state)).toEqual(Array(6).fill("created"));
    } finally {
      await queue.close();
    }
  });

  it("hands each job to one of several workers, and a job that throws fails alone with its one line", async () => {
    const { open } = await openQueue("work");
    const producer = await open();
    await producer.enqueue(alerts(12));
    const [a, b] = [await open(), await open()];
    const seen: string[] = [];
    const handler = async (alert: QueuedAlert): Promise<QueuedOutcome> => {
      seen.push(alert.alertId);
      if (alert.alertId === "A-5") throw new Error("unknown alert id A-5\n    at stack frame");
      return {
        status: "done",
        caseId: `case-${alert.alertId}`,
        disposition: "benign",
        awaitingApproval: false,
      };
    };
    await workUntil([a, b], handler, () => seen.length >= 12);
    expect([...seen].sort()).toEqual(
      alerts(12)
        .map((x) => x.alertId)
        .sort(),
    );
    const jobs = await producer.jobs();
    expect(jobs.filter((j) => j.state === "completed")).toHaveLength(11);
    const failed = jobs.filter((j) => j.state === "failed");
    expect(failed.map((j) => [j.data, j.output])).toEqual([
      [{ source: "lab", alertId: "A-5" }, { error: "unknown alert id A-5" }],
    ]);
    expect(jobs[0]?.output).toMatchObject({ status: "done", caseId: "case-A-1" });
    await Promise.all([a.close(), b.close(), producer.close()]);
  });

  it("stops taking jobs once stopped, leaving the rest queued; a job in flight finishes first", async () => {
    const { open } = await openQueue("stop");
    const queue = await open();
    await queue.enqueue(alerts(5));
    const stop = new AbortController();
    let finished = 0;
    await queue.work(
      async () => {
        stop.abort();
        await new Promise((resolve) => setTimeout(resolve, 50));
        finished++;
        return { status: "skipped", reason: "test" };
      },
      { concurrency: 1, signal: stop.signal, pollMs: 20 },
    );
    expect(finished).toBe(1);
    const states = (await queue.jobs()).map((j) => j.state).sort();
    expect(states).toEqual(["completed", "created", "created", "created", "created"]);
    await queue.close();
  });

  it("fails a job whose data is not an alert, and goes on", async () => {
    const { url, open } = await openQueue("malformed");
    const queue = await open();
    const PgBoss = (await import("pg-boss")).default;
    const raw = new PgBoss({ connectionString: url, supervise: false, schedule: false });
    await raw.start();
    await raw.send("triage-alerts", { alert: "not ours" });
    await raw.stop({ graceful: false });
    await queue.enqueue(alerts(1));
    expect(await firstAlertSeen(queue)).toEqual(["A-1"]);
    expect((await queue.jobs()).map((j) => [j.data, j.state, j.output])).toEqual([
      [{ alert: "not ours" }, "failed", { error: expect.stringMatching(/^malformed job: /) }],
      [{ source: "lab", alertId: "A-1" }, "completed", { status: "skipped", reason: "test" }],
    ]);
    await queue.close();
  });

  it("hands a job out again once the worker that took it dies and it expires", async () => {
    const { url } = await openQueue("expiry");
    const producer = await PgBossAlertQueue.open(url, {
      expireInSeconds: 1,
      retryLimit: 1,
      retryDelaySeconds: 1,
      supervise: false,
    });
    await producer.enqueue(alerts(1));
    await producer.close();
    // The dying worker: takes the job and is never heard from again.
    const PgBoss = (await import("pg-boss")).default;
    const dead = new PgBoss({ connectionString: url, supervise: false, schedule: false });
    await dead.start();
    expect(await dead.fetch("triage-alerts")).toHaveLength(1);
    await dead.stop({ graceful: false });
    const survivor = await PgBossAlertQueue.open(url, {
      expireInSeconds: 60,
      supervise: true,
      maintenanceIntervalSeconds: 1,
    });
    expect(await firstAlertSeen(survivor)).toEqual(["A-1"]);
    expect((await survivor.jobs()).map((j) => j.state)).toEqual(["completed"]);
    await survivor.close();
  }, 30_000);

  it("retries a failed job up to the retry limit", async () => {
    const { open } = await openQueue("retry", { retryLimit: 1 });
    const queue = await open();
    await queue.enqueue(alerts(1));
    let calls = 0;
    const stop = new AbortController();
    await queue.work(
      async () => {
        if (++calls >= 2) stop.abort();
        throw new Error("vendor timed out");
      },
      // pg-boss waits its retry delay (1 s here, with backoff) before handing the job out again.
      { concurrency: 1, signal: AbortSignal.any([stop.signal, AbortSignal.timeout(20_000)]), pollMs: 100 },
    );
    expect(calls).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await queue.jobs()).map((j) => [j.state, j.output])).toEqual([
      ["failed", { error: "vendor timed out" }],
    ]);
    await queue.close();
  }, 30_000);
});

describe("queue URL", () => {
  it("takes postgres:// and postgresql://", () => {
    expect(checkQueueUrl("postgres://u@db.example:5432/soc", "TRIAGE_QUEUE")).toBe(
      "postgres://u@db.example:5432/soc",
    );
    expect(checkQueueUrl("postgresql://u@db/soc", "--queue")).toBe("postgresql://u@db/soc");
  });
  it("turns a Redis URL away with one line", () => {
    expect(() => checkQueueUrl("redis://127.0.0.1:6379", "TRIAGE_QUEUE")).toThrow(
      /^TRIAGE_QUEUE: a Redis queue is not supported; use postgres:\/\//,
    );
  });
  it("turns anything else away", () => {
    expect(() => checkQueueUrl("not a url", "--queue")).toThrow(
      "--queue must be a postgres:// URL, got not a url",
    );
    expect(() => checkQueueUrl("amqp://mq/", "--queue")).toThrow(
      "--queue must be a postgres:// URL, got amqp://…",
    );
  });
});

describe("job ids", () => {
  it("are UUIDs, one per source and alert", () => {
    const id = jobIdOf({ source: "lab", alertId: "A-1" });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(jobIdOf({ source: "lab", alertId: "A-1" })).toBe(id);
    expect(jobIdOf({ source: "splunk", alertId: "A-1" })).not.toBe(id);
  });
});
