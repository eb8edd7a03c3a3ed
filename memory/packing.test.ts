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
  it("keeps small values as plain JSON text", () => {
    const value = { hits: 2, rows: [{ host: "WS-1" }] };
    expect(packJson(value)).toEqual({ text: JSON.stringify(value), packed: null });
    expect(unpackJson(packJson(value))).toEqual(value);
    expect(packJson(null)).toEqual({ text: "null", packed: null });
  });

  it("deflates large values to a fraction of their JSON, and gives back exactly the value", () => {
    const text = JSON.stringify(rows);
    expect(text.length).toBeGreaterThan(PACK_THRESHOLD);
    const packed = packJson(rows);
    expect(packed.text).toBe("");
    expect(packed.packed?.byteLength).toBeLessThan(text.length / 5);
    expect(unpackJson(packed)).toEqual(rows);
    const unicode = { summary: "é ✓ 𝄞 ".repeat(100) };
    expect(unpackJson(packJson(unicode))).toEqual(unicode);
  });

  it("reads rows stored before packing: their JSON text, no bytes", () => {
    expect(unpackJson({ text: JSON.stringify(rows), packed: null })).toEqual(rows);
  });
});

describe("deflateJson", () => {
  it("round-trips through bytes", () => {
    const bytes = deflateJson(rows);
    expect(bytes.byteLength).toBeLessThan(JSON.stringify(rows).length / 5);
    expect(inflateJson(bytes)).toEqual(rows);
  });
});
