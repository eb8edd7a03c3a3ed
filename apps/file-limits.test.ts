/**
 * Issue #12 item 9: hostile or mistaken config and policy files are refused fast, with one line and exit 2:
 * a YAML alias bomb, a file over 1 MB, a policy with more than 10,000 rules.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./testing/run-cli.ts";
import { isTriageError } from "../core/errors.ts";
import { loadConfig } from "../agent/config.ts";
import { MAX_FILE_BYTES, MAX_POLICY_RULES } from "../agent/file-limits.ts";
import { loadPolicy } from "../agent/policy/loader.ts";

const dir = mkdtempSync(join(tmpdir(), "soc-triage-limits-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Nine levels of nine aliases each: 9^9 (387 million) nodes if expanded. */
function aliasBomb(prefix: string): string {
  const lines = [`a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`];
  for (let i = 1; i <= 9; i++)
    lines.push(`a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(",")}]`);
  return `${prefix}${lines.join("\n")}\n`;
}

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function refusal(run: () => unknown): { code: string; message: string; ms: number } {
  const started = performance.now();
  try {
    run();
  } catch (error) {
    if (!isTriageError(error)) throw error;
    return { code: error.code, message: error.message, ms: performance.now() - started };
  }
  throw new Error("expected a refusal");
}

const rules = (n: number) =>
  `version: 1\nrules:\n${Array.from({ length: n }, (_, i) => `  - {id: r${i}, decision: allow}`).join("\n")}\n`;

describe("config and policy file limits", () => {
  it("refuses a YAML alias bomb in a policy or a config file with one line", () => {
    const policy = refusal(() => loadPolicy(write("bomb-policy.yaml", aliasBomb("version: 1\n"))));
    expect(policy.code).toBe("BAD_POLICY");
    expect(policy.message).toMatch(/bomb-policy\.yaml: cannot read the policy: .*alias/i);
    const config = refusal(() => loadConfig({ config: write("bomb-config.yaml", aliasBomb("")) }, {}));
    expect(config.code).toBe("BAD_INPUT");
    expect(config.message).toMatch(/alias/i);
    for (const { message, ms } of [policy, config]) {
      expect(message).not.toContain("\n");
      expect(ms).toBeLessThan(1000);
    }
  });

  it("refuses a file over 1 MB before parsing it, saying the limit", () => {
    const big = `# ${"x".repeat(80)}\n`.repeat(Math.ceil((21 * 1024 * 1024) / 83));
    const config = refusal(() => loadConfig({ config: write("big.yaml", big) }, {}));
    expect(config.code).toBe("BAD_INPUT");
    expect(config.message).toMatch(/big\.yaml is 21\.0 MB; the limit is 1 MB$/);
    expect(config.ms).toBeLessThan(1000);
    const policy = refusal(() => loadPolicy(write("big-policy.yaml", `version: 1\n${big}`)));
    expect(policy.code).toBe("BAD_POLICY");
    expect(policy.message).toMatch(/the limit is 1 MB$/);
    expect(MAX_FILE_BYTES).toBe(1024 * 1024);
  });

  it("refuses more than 10,000 policy rules on the syntax tree, and loads 10,000 in linear time", () => {
    const tooMany = refusal(() => loadPolicy(write("many.yaml", rules(MAX_POLICY_RULES + 1))));
    expect(tooMany.message).toMatch(/many\.yaml:3: rules: 10001 rules; the limit is 10000$/);
    const started = performance.now();
    expect(loadPolicy(write("most.yaml", rules(MAX_POLICY_RULES))).rules).toHaveLength(MAX_POLICY_RULES);
    // Generous for a shared, loaded machine; a quadratic loader would take minutes.
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it("exits 2 with one line through the CLI for an alias bomb in the policy or the config", () => {
    const base = { TRIAGE_DB: join(dir, "cases.db"), TRIAGE_LAB_DB: join(dir, "lab.db") };
    const policy = runCli(["LAB-0001"], { ...base, TRIAGE_POLICY: join(dir, "bomb-policy.yaml") });
    const config = runCli(["config"], { ...base, TRIAGE_CONFIG: join(dir, "bomb-config.yaml") });
    for (const run of [policy, config]) {
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^triage: .*alias.*\n$/i);
    }
  });
});
