import { describe, expect, it } from "vitest";
import { isFreshTimestamp, MAX_CLOCK_SKEW_SECONDS } from "./http-receiver.ts";

describe("isFreshTimestamp", () => {
  const now = 1_790_000_000_000;
  const at = (offsetSeconds: number) => String(now / 1000 + offsetSeconds);

  it("accepts five minutes either way and refuses beyond, in the future as in the past", () => {
    expect(isFreshTimestamp(at(0), now)).toBe(true);
    expect(isFreshTimestamp(at(-MAX_CLOCK_SKEW_SECONDS), now)).toBe(true);
    expect(isFreshTimestamp(at(MAX_CLOCK_SKEW_SECONDS), now)).toBe(true);
    expect(isFreshTimestamp(at(-MAX_CLOCK_SKEW_SECONDS - 1), now)).toBe(false);
    expect(isFreshTimestamp(at(MAX_CLOCK_SKEW_SECONDS + 1), now)).toBe(false);
    expect(isFreshTimestamp(at(600), now)).toBe(false);
  });

  it("refuses a missing or malformed timestamp", () => {
    for (const header of [undefined, "", "abc", "1.5e9", "-1", "17900000000000000"])
      expect(isFreshTimestamp(header, now)).toBe(false);
  });
});
