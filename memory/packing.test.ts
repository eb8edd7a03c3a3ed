import { describe, expect, it } from "vitest";
import { deflateJson, inflateJson, PACK_THRESHOLD, packJson, unpackJson } from "./packing.ts";

const rows = Array.from({ length: 200 }, (_, i) => ({
  time: `2026-12-07T10:${String(i % 60).padStart(2, "0")}:00Z`,
  host: `WS-${i % 7}`,
  user: "alice@example.com",
  event: "process_start",
  commandLine: `powershell.exe -enc ${"QUJD".repeat(i % 5)}`,
}));

describe("packJson", () => {
  it("keeps small values as plain JSON", () => {
    const value = { hits: 2, rows: [{ host: "WS-1" }] };
    expect(packJson(value)).toBe(JSON.stringify(value));
    expect(unpackJson(packJson(value))).toEqual(value);
    expect(packJson(null)).toBe("null");
    expect(unpackJson("null")).toBeNull();
  });

  it("deflates large values to a fraction of their JSON, and gives back exactly the value", () => {
    const text = JSON.stringify(rows);
    expect(text.length).toBeGreaterThan(PACK_THRESHOLD);
    const packed = packJson(rows);
    expect(packed.startsWith("deflate:")).toBe(true);
    expect(packed.length).toBeLessThan(text.length / 5);
    expect(unpackJson(packed)).toEqual(rows);
  });

  it("reads plain JSON stored before packing, strings that look like the marker included", () => {
    expect(unpackJson(JSON.stringify(rows))).toEqual(rows);
    expect(unpackJson(JSON.stringify("deflate:not packed"))).toBe("deflate:not packed");
    const long = "deflate:".repeat(400);
    expect(unpackJson(packJson(long))).toBe(long);
  });
});

describe("deflateJson", () => {
  it("round-trips through bytes", () => {
    const bytes = deflateJson(rows);
    expect(bytes.byteLength).toBeLessThan(JSON.stringify(rows).length / 5);
    expect(inflateJson(bytes)).toEqual(rows);
  });
});
