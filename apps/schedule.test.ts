/** Scheduled runs in process, on a real runtime over the fixture lab: where the watermark goes. */
import { afterAll, describe, expect, it } from "vitest";
import { isTriageError } from "../core/errors.ts";
import { checkCron, runScheduledBatch, startSchedule } from "./schedule.ts";
import { fixtureRuntimes, heldReasoner, minute } from "./testing/fixture-runtime.ts";

const { runtime, cleanup } = fixtureRuntimes("soc-triage-schedule-");
afterAll(cleanup);

const settle = () => new Promise((resolve) => setImmediate(resolve));

const base = { limit: 100, concurrency: 1, dryRun: true };

describe("scheduled batch runs", () => {
  it("moves the watermark only over what a stopped run finished; the next run takes the rest", async () => {
    const opened = await runtime("stopped");
    try {
      const stop = new AbortController();
      const first = await runScheduledBatch(opened, {
        ...base,
        stop: stop.signal,
        onProgress: () => stop.abort(),
      });
      expect(first.summary).toMatchObject({ listed: 5, triaged: 1, notStarted: 4, stopped: true });
      expect(first.watermarkAfter).toBe(minute(0));
      expect(
        await Promise.all(["FX-2", "FX-3", "FX-4", "FX-5"].map((id) => opened.claims.status("lab", id))),
      ).toEqual([null, null, null, null]);
      const second = await runScheduledBatch(opened, base);
      expect(second.summary).toMatchObject({ listed: 4, triaged: 4, skippedAlreadyTaken: 0 });
      expect(second.watermarkAfter).toBe(minute(60));
      const third = await runScheduledBatch(opened, base);
      expect(third.summary.listed).toBe(0);
      expect(third.watermarkAfter).toBe(minute(60));
    } finally {
      await opened.close();
    }
  });

  it("holds the watermark before an alert a live worker still runs, and passes it once that worker finishes", async () => {
    const opened = await runtime("held");
    try {
      expect(await opened.claims.claim("lab", "FX-3", "other-worker")).toBe("claimed");
      const first = await runScheduledBatch(opened, base);
      expect(first.summary).toMatchObject({ listed: 5, triaged: 4, skippedAlreadyTaken: 1 });
      expect(first.watermarkAfter).toBe(minute(30));
      await opened.claims.finish("lab", "FX-3", "other-worker", { status: "done", caseId: "case-elsewhere" });
      const second = await runScheduledBatch(opened, base);
      expect(second.summary).toMatchObject({ listed: 3, triaged: 0, skippedAlreadyTaken: 3 });
      expect(second.watermarkAfter).toBe(minute(60));
    } finally {
      await opened.close();
    }
  });

  it("passes a failed alert (recorded with its reason, not retried)", async () => {
    const opened = await runtime("poisoned", { poisoned: true });
    try {
      const run = await runScheduledBatch(opened, base);
      expect(run.summary.failures.map((f) => f.alertId)).toEqual(["FX-BAD"]);
      expect(run.summary.triaged).toBe(5);
      expect(run.watermarkAfter).toBe(minute(60));
      expect((await opened.claims.status("lab", "FX-BAD"))?.status).toBe("failed");
    } finally {
      await opened.close();
    }
  });

  it("when the grace period runs out, leaves the alert in flight claimed and the watermark where it was", async () => {
    const held = heldReasoner();
    const opened = await runtime("abandoned", { reasoner: held.reasoner });
    try {
      const stop = new AbortController();
      const abandon = new AbortController();
      const running = runScheduledBatch(opened, { ...base, stop: stop.signal, abandon: abandon.signal });
      while ((await opened.claims.status("lab", "FX-1")) === null) await settle();
      stop.abort();
      abandon.abort();
      const run = await running;
      expect(run.summary).toMatchObject({ abandoned: ["FX-1"], notStarted: 4, triaged: 0, stopped: true });
      expect(run.watermarkAfter).toBeNull();
      expect((await opened.claims.status("lab", "FX-1"))?.status).toBe("running");
      // Let the abandoned triage end before the database closes; its claim is then recorded as usual.
      held.release();
      while ((await opened.claims.status("lab", "FX-1"))?.status === "running") await settle();
      expect((await opened.claims.status("lab", "FX-1"))?.status).toBe("done");
    } finally {
      await opened.close();
    }
  });

  it("loses no alert that shares its time with the last one a limit let through", async () => {
    const opened = await runtime("limited");
    try {
      const limited = { ...base, limit: 3 };
      const first = await runScheduledBatch(opened, limited);
      // FX-1, FX-2, FX-3 listed; FX-4 shares FX-3's time, so the watermark stays at FX-2.
      expect(first.watermarkAfter).toBe(minute(30));
      const second = await runScheduledBatch(opened, limited);
      expect(second.summary).toMatchObject({ listed: 3, triaged: 2, skippedAlreadyTaken: 1 });
      expect(second.watermarkAfter).toBe(minute(45));
      const third = await runScheduledBatch(opened, limited);
      expect(third.summary).toMatchObject({ listed: 1, triaged: 0, skippedAlreadyTaken: 1 });
      expect(third.watermarkAfter).toBe(minute(60));
      const triaged = await Promise.all(
        ["FX-1", "FX-2", "FX-3", "FX-4", "FX-5"].map(
          async (id) => (await opened.claims.status("lab", id))?.status,
        ),
      );
      expect(triaged).toEqual(["done", "done", "done", "done", "done"]);
    } finally {
      await opened.close();
    }
  });
});

describe("cron", () => {
  it("accepts five or six fields and refuses anything else with one BAD_INPUT line", () => {
    expect(checkCron("*/5 * * * *")).toBe("*/5 * * * *");
    expect(checkCron("*/10 * * * * *")).toBe("*/10 * * * * *");
    for (const bad of ["bogus", "61 * * * *", "*/0 * * * *", ""]) {
      let caught: unknown;
      try {
        checkCron(bad);
      } catch (error) {
        caught = error;
      }
      expect(isTriageError(caught) && caught.code).toBe("BAD_INPUT");
      expect(isTriageError(caught) && caught.message).toMatch(
        /^--cron "[^"\n]*" is not a cron pattern: [^\n]+$/,
      );
    }
  });

  it("skips a tick while a run is going instead of overlapping it, and stop waits for that run", async () => {
    let runs = 0;
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let skipped = () => {};
    const aTickWasSkipped = new Promise<void>((resolve) => (skipped = resolve));
    const schedule = startSchedule(
      "* * * * * *",
      async () => {
        runs++;
        await released;
      },
      { onSkip: () => skipped() },
    );
    await aTickWasSkipped;
    let stopped = false;
    const stopping = schedule.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(runs).toBe(1);
  });
});
