import { describe, expect, it } from "vitest";
import { canonicalJson } from "../core/ids.ts";
import { evidenceIdFor, parseToolArgs, toolInputSchemas, toolNames } from "./catalog.ts";
import { ToolError } from "../core/errors.ts";

describe("tool catalog", () => {
  it("gives equal calls equal evidence ids, whatever the key order", () => {
    const a = evidenceIdFor({ tool: "intel_lookup", args: { type: "ip", value: "203.0.113.9" } });
    const b = evidenceIdFor({ tool: "intel_lookup", args: { value: "203.0.113.9", type: "ip" } });
    const c = evidenceIdFor({ tool: "intel_lookup", args: { value: "203.0.113.10", type: "ip" } });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).toMatch(/^ev-[0-9a-f]{10}$/);
  });

  it("rejects bad arguments with a BAD_INPUT error naming the field", () => {
    try {
      parseToolArgs("identity_sign_ins", {
        user: "a@b.c",
        since: "yesterday",
        until: "2026-11-02T00:00:00Z",
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ToolError);
      expect(error instanceof ToolError && error.code).toBe("BAD_INPUT");
      expect(error instanceof Error && error.message).toMatch(/^identity_sign_ins: since: /);
    }
  });

  it("describes every field a model reads", () => {
    for (const name of toolNames) {
      const schema = toolInputSchemas[name];
      expect(schema.description, name).toBeTruthy();
      for (const [field, fieldSchema] of Object.entries(schema.shape)) {
        expect(fieldSchema.description, `${name}.${field}`).toBeTruthy();
      }
    }
  });

  it("writes canonical JSON", () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
  });
});
