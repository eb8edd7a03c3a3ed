/**
 * The whole graph on every lab alert, scored against the lab's ground truth. Prints the per-family table
 * (the same as `triage eval --lab`) so a run shows the figures, and holds each family to 95%.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../agent/config.ts";
import { evaluateLab } from "./lab-eval.ts";

const scratch = mkdtempSync(join(tmpdir(), "soc-triage-lab-eval-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("offline engine on the lab", () => {
  it("runs every scenario end to end and is at least 95% correct in every family", async () => {
    const result = await evaluateLab(
      loadConfig({ db: join(scratch, "cases.db"), labDb: join(scratch, "lab.db") }, {}),
    );
    const lines = result.families.map(
      (f) =>
        `${f.family.padEnd(9)} ${String(f.correct).padStart(4)}/${String(f.n).padEnd(4)} ${(f.accuracy * 100).toFixed(1).padStart(5)}%  malicious caught ${f.maliciousCaught}/${f.malicious}  benign called malicious ${f.falseMalicious}/${f.benign}`,
    );
    console.log(
      `lab ground truth (seed ${result.seed}):\n${lines.join("\n")}\nmedian ${result.medianMs.toFixed(1)} ms per alert`,
    );
    expect(result.failures).toEqual([]);
    expect(result.total.n).toBeGreaterThanOrEqual(200);
    expect(result.families.map((f) => f.family).sort()).toEqual(["email", "endpoint", "identity", "network"]);
    for (const family of result.families) expect(family.accuracy, family.family).toBeGreaterThanOrEqual(0.95);
  });
});
