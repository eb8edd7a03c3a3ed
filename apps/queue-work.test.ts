/**
 * Queue workers in process, on a real runtime over the fixture lab and an in-memory queue that keeps each
 * job's state and output: what a worker makes of every kind of job. Needs no PostgreSQL (apps/worker.test.ts
 * runs the real queue and processes).
 */
import { afterAll, describe, expect, it } from "vitest";
import { describeError } from "../core/errors.ts";
import { BatchClaims } from "../memory/batch-claims.ts";
import type { AlertQueue, QueuedAlert, QueuedOutcome, WorkOptions } from "../core/ports.ts";
import { enqueueFromWatermark, enqueueNew, queueTimings, runWorker, type JobReport } from "./queue-work.ts";
import { fixtureRuntimes, heldReasoner, minute } from "./testing/fixture-runtime.ts";

const { runtime, cleanup } = fixtureRuntimes("soc-triage-queue-work-");
afterAll(cleanup);

type Job = { alert: QueuedAlert; state: "created" | "active" | "completed" | "failed"; output?: unknown };

/** Jobs in an array, handed out in order; a test double of the port, not of pg-boss. */
class MemoryQueue implements AlertQueue {
  readonly jobs: Job[] = [];
  async enqueue(alerts: readonly QueuedAlert[]) {
    for (const alert of alerts) this.jobs.push({ alert, state: "created" });
    return { enqueued: alerts.length, alreadyQueued: 0 };
  }
  async work(handler: (alert: QueuedAlert) => Promise<QueuedOutcome>, options: WorkOptions) {
    const slot = async () => {
      while (!options.signal.aborted) {
        const job = this.jobs.find((j) => j.state === "created");
        if (job === undefined) {
          await new Promise((resolve) => setTimeout(resolve, 2));
          continue;
        }
        job.state = "active";
        try {
          job.output = await handler(job.alert);
          job.state = "completed";
        } catch (error) {
          job.output = { error: describeError(error) };
          job.state = "failed";
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, slot));
  }
  async close() {}
}

/** Runs a worker until every job has settled. */
async function drain(opened: Awaited<ReturnType<typeof runtime>>, queue: MemoryQueue) {
  const stop = new AbortController();
  const reports: JobReport[] = [];
  const summary = await runWorker(opened, queue, {
    concurrency: 2,
    dryRun: true,
    stop: stop.signal,
    onJob: (report) => {
      reports.push(report);
      // Reported from inside the handler, before the queue records the job: count reports, not states.
      if (reports.length === queue.jobs.length) stop.abort();
    },
  });
  return { summary, reports };
}

describe("queue timings", () => {
  it("follow the claim lease: a dead worker's job is handed out again after its lease has passed, within seconds for a short lease", () => {
    // The default lease keeps pg-boss's own maintenance interval and retry delay.
    expect(queueTimings(600_000)).toEqual({
      expireInSeconds: 1260,
      maintenanceIntervalSeconds: 120,
      retryDelaySeconds: 10,
    });
    expect(queueTimings(2_000)).toEqual({
      expireInSeconds: 6,
      maintenanceIntervalSeconds: 1,
      retryDelaySeconds: 2,
    });
    for (const seconds of [1, 2, 30, 600, 43_000])
      expect(queueTimings(seconds * 1000).expireInSeconds).toBeGreaterThan(2 * seconds);
    // pg-boss refuses a day; --lease goes up to one.
    expect(queueTimings(86_400_000).expireInSeconds).toBe(86_399);
  });
});

describe("queue workers", () => {
  it("triage each queued alert once: a job for an alert already triaged is skipped, a bad alert fails alone", async () => {
    const opened = await runtime("work", { poisoned: true });
    try {
      const queue = new MemoryQueue();
      await queue.enqueue(["FX-1", "FX-BAD", "FX-2", "NOPE"].map((alertId) => ({ source: "lab", alertId })));
      await queue.enqueue([{ source: "splunk", alertId: "FX-3" }]);
      const { summary } = await drain(opened, queue);
      expect(summary).toMatchObject({ triaged: 2, failed: 3, skipped: 0, abandoned: [] });
      expect(queue.jobs.map((j) => [j.alert.alertId, j.state])).toEqual([
        ["FX-1", "completed"],
        ["FX-BAD", "failed"],
        ["FX-2", "completed"],
        ["NOPE", "failed"],
        ["FX-3", "failed"],
      ]);
      const errors = queue.jobs.filter((j) => j.state === "failed").map((j) => j.output);
      expect(errors).toEqual([
        { error: expect.stringMatching(/^could not fetch alert FX-BAD: lab alert is malformed: severity: /) },
        { error: "unknown alert id NOPE in source lab" },
        { error: "alert FX-3 was queued from source splunk, but this worker reads lab" },
      ]);

      // The same alerts come around again (a retry, a re-enqueue): nothing is triaged twice, and the bad
      // alert's job fails again with the reason it failed the first time.
      const again = new MemoryQueue();
      await again.enqueue(["FX-1", "FX-BAD"].map((alertId) => ({ source: "lab", alertId })));
      const second = await drain(opened, again);
      expect(second.summary).toMatchObject({ triaged: 0, skipped: 1, failed: 1 });
      expect(again.jobs[0]?.output).toEqual({
        status: "skipped",
        reason: expect.stringMatching(/^already triaged by /),
      });
      expect(again.jobs[1]?.output).toEqual(errors[0]);
      const cases = await opened.memory.listCases({ limit: 100 });
      expect(cases.map((c) => c.alertId).sort()).toEqual(["FX-1", "FX-2"]);
    } finally {
      await opened.close();
    }
  });

  it("skips a job whose alert another, live, worker is triaging right now", async () => {
    const opened = await runtime("held-elsewhere");
    // The other worker renews its claim as a live one does (every third of its lease).
    const other = new BatchClaims(opened.memory.driver, { now: () => new Date(), leaseMs: 300 });
    const stopRenewing = other.heartbeat("lab", "FX-2", "other-worker");
    try {
      expect(await other.claim("lab", "FX-2", "other-worker")).toBe("claimed");
      const queue = new MemoryQueue();
      await queue.enqueue([{ source: "lab", alertId: "FX-2" }]);
      const { reports } = await drain(opened, queue);
      expect(reports).toEqual([
        { alertId: "FX-2", status: "skipped", reason: "being triaged by other-worker" },
      ]);
    } finally {
      stopRenewing();
      await opened.close();
    }
  });

  it("takes over a job whose alert a dead worker still holds once the claim's lease passes, never skips it", async () => {
    const opened = await runtime("held-by-dead");
    try {
      // A worker that died a moment ago: its claim is running, its lease (1 s) not yet passed, never renewed.
      const dead = new BatchClaims(opened.memory.driver, { now: () => new Date(), leaseMs: 1_000 });
      expect(await dead.claim("lab", "FX-2", "gone-worker")).toBe("claimed");
      const queue = new MemoryQueue();
      await queue.enqueue([{ source: "lab", alertId: "FX-2" }]);
      const { summary, reports } = await drain(opened, queue);
      expect(reports).toEqual([expect.objectContaining({ alertId: "FX-2", status: "done" })]);
      expect(summary).toMatchObject({ triaged: 1, tookOver: 1, skipped: 0 });
      expect(await opened.claims.status("lab", "FX-2")).toMatchObject({ status: "done" });
    } finally {
      await opened.close();
    }
  });

  it("when the grace period runs out, reports the alert in flight as abandoned and leaves its claim running", async () => {
    const held = heldReasoner();
    const opened = await runtime("abandoned", { reasoner: held.reasoner });
    try {
      const queue = new MemoryQueue();
      await queue.enqueue([{ source: "lab", alertId: "FX-1" }]);
      const stop = new AbortController();
      const abandon = new AbortController();
      const running = runWorker(opened, queue, {
        concurrency: 1,
        dryRun: true,
        stop: stop.signal,
        abandon: abandon.signal,
      });
      while ((await opened.claims.status("lab", "FX-1")) === null)
        await new Promise((resolve) => setImmediate(resolve));
      stop.abort();
      abandon.abort();
      const summary = await running;
      expect(summary).toMatchObject({ abandoned: ["FX-1"], triaged: 0 });
      expect((await opened.claims.status("lab", "FX-1"))?.status).toBe("running");
      held.release();
      while (queue.jobs[0]?.state === "active") await new Promise((resolve) => setTimeout(resolve, 5));
      expect((await opened.claims.status("lab", "FX-1"))?.status).toBe("done");
    } finally {
      await opened.close();
    }
  });

  it("enqueue what batch would list, and from the watermark, which then moves over everything enqueued", async () => {
    const opened = await runtime("enqueue");
    try {
      const queue = new MemoryQueue();
      expect(await enqueueNew(opened, queue, { since: minute(30), limit: 100 })).toEqual({
        source: "lab",
        listed: 3,
        enqueued: 3,
        alreadyQueued: 0,
      });
      expect(queue.jobs.map((j) => j.alert.alertId)).toEqual(["FX-3", "FX-4", "FX-5"]);
      // Cut by its limit between FX-3 and FX-4 (both at minute 45): the watermark stops before 45.
      const first = await enqueueFromWatermark(opened, queue, { limit: 3 });
      expect(first).toMatchObject({ listed: 3, watermarkBefore: null, watermarkAfter: minute(30) });
      const second = await enqueueFromWatermark(opened, queue, { limit: 100 });
      expect(second).toMatchObject({ listed: 3, watermarkBefore: minute(30), watermarkAfter: minute(60) });
      const third = await enqueueFromWatermark(opened, queue, { limit: 100 });
      expect(third).toMatchObject({ listed: 0, enqueued: 0, watermarkAfter: minute(60) });
    } finally {
      await opened.close();
    }
  });
});
