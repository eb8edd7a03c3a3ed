/** Watermarks: the pure rule that never passes an unhandled alert, and the store that never moves back. */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { BatchWatermarks, nextWatermark } from "./batch-watermarks.ts";
import type { SqlDriver } from "./sql/driver.ts";
import { openCaseDatabaseDriver } from "./sql/open.ts";
import { engineTitle, testEngines } from "./testing/engines.ts";

const { engines, stop } = await testEngines();
afterAll(stop);

const at = (minute: number) =>
  new Date(Date.parse("2026-11-02T08:00:00.000Z") + minute * 60_000).toISOString();
const list = (...minutes: number[]) => minutes.map((m) => ({ createdAt: at(m) }));
const handledSet =
  (...indices: number[]) =>
  (i: number) =>
    indices.includes(i);
const all = () => true;

describe("nextWatermark", () => {
  it("covers the whole list when every alert is handled and nothing was cut off", () => {
    expect(nextWatermark(list(1, 2, 3), all, { current: null, complete: true })).toBe(at(3));
  });

  it("stops before the first unhandled alert, whatever was handled after it", () => {
    const listed = list(1, 2, 3, 4, 5);
    expect(nextWatermark(listed, handledSet(0, 1, 3, 4), { current: null, complete: true })).toBe(at(2));
  });

  it("stays put when the oldest alert is unhandled", () => {
    expect(nextWatermark(list(1, 2), handledSet(1), { current: at(0), complete: true })).toBe(at(0));
    expect(nextWatermark(list(1, 2), handledSet(1), { current: null, complete: true })).toBeNull();
  });

  it("does not cover a time an unhandled alert shares with handled ones", () => {
    // Alerts 1 and 2 share minute 2; alert 2 is not handled, so minute 2 must stay uncovered.
    expect(nextWatermark(list(1, 2, 2, 3), handledSet(0, 1), { current: null, complete: true })).toBe(at(1));
  });

  it("does not cover the last listed time when the limit cut the list", () => {
    expect(nextWatermark(list(1, 2, 3), all, { current: null, complete: false })).toBe(at(2));
    expect(nextWatermark(list(1, 3, 3), all, { current: null, complete: false })).toBe(at(1));
  });

  it("never moves back and keeps the current watermark for an empty list", () => {
    expect(nextWatermark([], all, { current: at(7), complete: true })).toBe(at(7));
    expect(nextWatermark(list(1, 2), all, { current: at(5), complete: true })).toBe(at(5));
  });

  it("compares instants, not text, when the source writes offsets", () => {
    const listed = [{ createdAt: "2026-11-02T10:00:00+02:00" }, { createdAt: "2026-11-02T09:30:00Z" }];
    expect(nextWatermark(listed, handledSet(0), { current: null, complete: true })).toBe(
      "2026-11-02T08:00:00.000Z",
    );
  });

  it("property: every alert at or before the new watermark (and after the old one) is handled", () => {
    const scenario = fc.record({
      minutes: fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 25 }),
      handled: fc.array(fc.boolean(), { minLength: 25, maxLength: 25 }),
      current: fc.option(fc.integer({ min: 0, max: 12 }), { nil: null }),
      complete: fc.boolean(),
    });
    fc.assert(
      fc.property(scenario, ({ minutes, handled, current, complete }) => {
        const listed = list(...[...minutes].sort((a, b) => a - b));
        const isHandled = (i: number) => handled[i] === true;
        const from = current === null ? null : at(current);
        const result = nextWatermark(listed, isHandled, { current: from, complete });
        if (result === null) return from === null;
        if (from !== null && result < from) return false;
        if (result === from) return true;
        const cutAt = listed[listed.length - 1]?.createdAt;
        if (!complete && cutAt !== undefined && result >= cutAt) return false;
        return listed.every(
          (a, i) => a.createdAt > result || (from !== null && a.createdAt <= from) || isHandled(i),
        );
      }),
      { numRuns: 500 },
    );
  });
});

for (const engine of engines) {
  describe.skipIf(engine.skipReason !== null)(`BatchWatermarks on ${engineTitle(engine)}`, () => {
    it("stores one watermark per source, normalised to UTC, and never moves it back", async () => {
      const driver = await openCaseDatabaseDriver(await engine.location("watermarks"));
      try {
        const marks = new BatchWatermarks(driver, { now: () => new Date("2026-11-20T00:00:00Z") });
        expect(await marks.get("lab")).toBeNull();
        expect(await marks.advance("lab", "2026-11-02T10:00:00+02:00")).toBe("2026-11-02T08:00:00.000Z");
        expect(await marks.advance("lab", "2026-11-02T07:00:00Z")).toBe("2026-11-02T08:00:00.000Z");
        expect(await marks.advance("lab", "2026-11-03T00:00:00Z")).toBe("2026-11-03T00:00:00.000Z");
        expect(await marks.get("other")).toBeNull();
        await expect(marks.advance("lab", "yesterday")).rejects.toThrow(RangeError);
        expect(await marks.get("lab")).toBe("2026-11-03T00:00:00.000Z");
      } finally {
        await driver.close();
      }
    });

    it("keeps the latest time when schedulers on separate connections advance it at once", async () => {
      const location = await engine.location("watermarks-race");
      // Opened one after another: SQLite's migration waits on the file lock, synchronously, in one process.
      const drivers: SqlDriver[] = [];
      for (let i = 0; i < 4; i++) drivers.push(await openCaseDatabaseDriver(location));
      try {
        const times = ["2026-11-02T08:00:00.000Z", "2026-11-02T11:00:00.000Z", "2026-11-02T09:00:00.000Z"];
        await Promise.all(
          drivers.flatMap((driver) =>
            times.map((time) => new BatchWatermarks(driver, { now: () => new Date() }).advance("lab", time)),
          ),
        );
        const [first] = drivers;
        if (!first) throw new Error("no driver");
        expect(await new BatchWatermarks(first, { now: () => new Date() }).get("lab")).toBe(times[1]);
      } finally {
        for (const driver of drivers) await driver.close();
      }
    });
  });
}
