import { describe, expect, it } from "vitest";
import { createLimiter, keyedLimiter, mapLimit } from "./limit.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("limiters", () => {
  it("never runs more than the bound, even when newcomers arrive as a slot frees", async () => {
    const limiter = createLimiter(2);
    let running = 0;
    let most = 0;
    const task = async () => {
      running++;
      most = Math.max(most, running);
      await tick();
      running--;
    };
    const first = Array.from({ length: 5 }, () => limiter.run(task));
    await tick();
    const late = Array.from({ length: 5 }, () => limiter.run(task));
    await Promise.all([...first, ...late]);
    expect(most).toBe(2);
    expect(limiter.pending()).toBe(0);
  });

  it("bounds each key on its own, case-insensitively, and frees a slot when a task fails", async () => {
    const gate = keyedLimiter(1);
    const order: string[] = [];
    const step = (name: string) => async () => {
      order.push(`${name}+`);
      await tick();
      order.push(`${name}-`);
    };
    await Promise.all([gate("A@x", step("a1")), gate("a@X", step("a2")), gate("b@x", step("b1"))]);
    expect(order.indexOf("a2+")).toBeGreaterThan(order.indexOf("a1-"));
    expect(order.indexOf("b1+")).toBeLessThan(order.indexOf("a1-"));
    await expect(gate("a@x", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await gate("a@x", async () => "free")).toBe("free");
  });

  it("maps in input order", async () => {
    expect(await mapLimit([3, 1, 2], 2, async (n) => (await tick(), n * 10))).toEqual([30, 10, 20]);
  });
});
