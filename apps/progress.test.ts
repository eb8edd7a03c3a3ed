/** Progress formatting and when the reporter writes. */
import { describe, expect, it } from "vitest";
import { createProgressReporter, formatBar, formatLine, lineDue, rate } from "./progress.ts";

const p = (done: number, total: number, failed = 0, elapsedMs = 2000) => ({ done, total, failed, elapsedMs });

describe("progress formatting", () => {
  it("draws a bar with counts, percent, rate and failures", () => {
    // 80 columns: 41 for the numbers, 37 bar cells (9 filled: 52/209 of them), the last column free.
    const bar = formatBar(p(52, 209, 1, 1000), 80);
    expect(bar).toBe(`[${"#".repeat(9)}${"-".repeat(28)}]   52/209   24%  52.0 alerts/s  1 failed`);
    expect(bar).toHaveLength(79);
    expect(formatBar(p(209, 209), 80)).toMatch(
      /^\[#{36}\] {2}209\/209 {2}100% {2}104\.5 alerts\/s {2}0 failed$/,
    );
    expect(formatBar(p(0, 0), 80)).toMatch(/^\[#+\]\s+0\/0\s+100%/);
  });

  it("never draws wider than the terminal", () => {
    for (const columns of [20, 40, 60, 200]) {
      expect(formatBar(p(5, 10_000, 3), columns).length).toBeLessThan(columns);
    }
    expect(formatBar(p(5, 10), 200)).toMatch(/^\[#{20}-{20}\]/);
  });

  it("writes a quiet line with counts, rate and failures", () => {
    expect(formatLine(p(10, 40, 2, 4000), "triage batch")).toBe(
      "triage batch: 10/40 alerts, 2.5 alerts/s, 2 failed",
    );
    expect(rate(p(3, 3, 0, 0))).toBe(0);
  });

  it("asks for a quiet line on the first alert, about every 5% and the last", () => {
    const due = (total: number) =>
      Array.from({ length: total }, (_, i) => i + 1).filter((d) => lineDue(d, total));
    expect(due(5)).toEqual([1, 2, 3, 4, 5]);
    expect(due(209)).toEqual([
      1, 11, 22, 33, 44, 55, 66, 77, 88, 99, 110, 121, 132, 143, 154, 165, 176, 187, 198, 209,
    ]);
    expect(due(100_000).length).toBe(201);
  });
});

describe("progress reporter", () => {
  it("redraws in place on a terminal, at most every redrawMs, always the last, then a newline", () => {
    const out: string[] = [];
    const reporter = createProgressReporter({
      tty: true,
      columns: 80,
      label: "x",
      write: (t) => out.push(t),
      redrawMs: 100,
    });
    reporter.update(p(1, 4, 0, 10));
    reporter.update(p(2, 4, 0, 50));
    reporter.update(p(3, 4, 0, 200));
    reporter.update(p(4, 4, 0, 210));
    reporter.end();
    expect(out).toHaveLength(4);
    expect(out.slice(0, 3).every((t) => t.startsWith("\r[") && t.endsWith("\u001b[K"))).toBe(true);
    expect(out[0]).toContain("1/4");
    expect(out[1]).toContain("3/4");
    expect(out[2]).toContain("4/4");
    expect(out[3]).toBe("\n");
  });

  it("writes whole lines, no control characters, when not on a terminal", () => {
    const out: string[] = [];
    const reporter = createProgressReporter({
      tty: false,
      columns: 80,
      label: "run",
      write: (t) => out.push(t),
    });
    for (let done = 1; done <= 3; done++) reporter.update(p(done, 3));
    reporter.end();
    expect(out).toEqual([
      "run: 1/3 alerts, 0.5 alerts/s, 0 failed\n",
      "run: 2/3 alerts, 1.0 alerts/s, 0 failed\n",
      "run: 3/3 alerts, 1.5 alerts/s, 0 failed\n",
    ]);
  });

  it("adds no newline at the end when nothing was drawn", () => {
    const out: string[] = [];
    createProgressReporter({ tty: true, columns: 80, label: "x", write: (t) => out.push(t) }).end();
    expect(out).toEqual([]);
  });
});
