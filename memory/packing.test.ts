import { createHash } from "node:crypto";
import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { PACK_DICTIONARY_V1 } from "./pack-dictionary.ts";
import { deflateJson, inflateJson, PACK_FORMAT_V1, PACK_THRESHOLD, packJson, unpackJson } from "./packing.ts";

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

  it("reads rows packed before format v1: raw deflate, no dictionary, no format byte", () => {
    const old = { text: "", packed: new Uint8Array(deflateRawSync(JSON.stringify(rows))) };
    expect(unpackJson(old)).toEqual(rows);
  });
});

describe("deflateJson", () => {
  it("round-trips through bytes", () => {
    const bytes = deflateJson(rows);
    expect(bytes.byteLength).toBeLessThan(JSON.stringify(rows).length / 5);
    expect(inflateJson(bytes)).toEqual(rows);
  });
});

describe("format v1", () => {
  const verdict = {
    disposition: "benign",
    confidence: 0.994,
    severity: "informational",
    category: "benign_notification",
    attack: [],
    summary: "Benign: benign notification.",
    rationale: ["SPF, DKIM and DMARC all pass (-0.8)"],
    evidenceIds: ["ev-alert"],
    findingIds: ["email.auth.aligned_pass"],
    reasoner: "offline",
  };

  it("starts with its format byte, a reserved deflate block type no raw stream starts with", () => {
    const bytes = deflateJson(verdict);
    expect(bytes[0]).toBe(PACK_FORMAT_V1);
    expect((PACK_FORMAT_V1 >> 1) & 0b11).toBe(3);
    // Every raw deflate stream written before v1 starts with a block of type 0, 1 or 2.
    for (const value of [rows, verdict, "x", null, { a: "é ✓ 𝄞" }])
      expect((deflateRawSync(JSON.stringify(value))[0]! >> 1) & 0b11).not.toBe(3);
  });

  it("deflates small JSON of the product's vocabulary smaller than raw deflate alone", () => {
    const text = JSON.stringify(verdict);
    expect(deflateJson(verdict).byteLength).toBeLessThan(deflateRawSync(text).byteLength * 0.75);
    expect(inflateJson(deflateJson(verdict))).toEqual(verdict);
  });

  it("keeps its dictionary: rows packed with v1 read only with exactly these bytes", () => {
    // Never update this hash: a new dictionary is a new format (v2) beside v1.
    expect(createHash("sha256").update(PACK_DICTIONARY_V1).digest("hex")).toBe(
      "1c16c52b918ec9e32c25e0df5532dcfc781555f6b1c8d329d2e6a5a060344cad",
    );
  });
});
