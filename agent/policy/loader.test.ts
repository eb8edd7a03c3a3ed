import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultPolicyPath } from "../config.ts";
import { loadPolicy, parsePolicy } from "./loader.ts";

function errorOf(text: string): string {
  try {
    parsePolicy(text, "p.yaml");
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  throw new Error("expected the policy to be refused");
}

describe("policy loader", () => {
  it("loads the shipped default policy", () => {
    expect(loadPolicy(defaultPolicyPath).rules.length).toBeGreaterThan(10);
  });

  it("names the line and field of a bad value", () => {
    const message = errorOf(
      "version: 1\nrules:\n  - id: a\n    when: { action: [isolate_host] }\n    decision: maybe\n",
    );
    expect(message).toMatch(/^p\.yaml:5: rules\[0\]\.decision: /);
    expect(message).not.toContain("\n");
  });

  it("rejects unknown keys, duplicate ids and YAML syntax errors with their lines", () => {
    expect(errorOf("version: 1\nrules:\n  - id: a\n    decision: allow\n    whn: {}\n")).toMatch(
      /^p\.yaml:3: rules\[0\]: /,
    );
    expect(
      errorOf("version: 1\nrules:\n  - { id: a, decision: allow }\n  - { id: a, decision: deny }\n"),
    ).toMatch(/^p\.yaml:4: rules\[1\]\.id: duplicate rule id a/);
    expect(errorOf("version: 1\nrules: [\n")).toMatch(/^p\.yaml:\d+: /);
    expect(errorOf("version: 2\n")).toMatch(/^p\.yaml:1: version: /);
  });

  it("accepts JSON and says when the file is missing", () => {
    const dir = mkdtempSync(join(tmpdir(), "policy-"));
    writeFileSync(
      join(dir, "p.json"),
      JSON.stringify({ version: 1, rules: [{ id: "x", decision: "deny" }] }),
    );
    expect(loadPolicy(join(dir, "p.json")).rules[0]?.id).toBe("x");
    expect(() => loadPolicy(join(dir, "missing.yaml"))).toThrow(/not found/);
  });
});
