/**
 * Accuracy of a reasoner on the lab's ground truth, per family. Runs the whole graph on every lab alert,
 * oldest first (as alerts would arrive), against a fresh case memory.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scratchConfig, type TriageConfig } from "../agent/config.ts";
import { runTriage } from "../agent/run-triage.ts";
import { openRuntime } from "../agent/setup.ts";
import { readGroundTruth } from "../tools/lab/ground-truth.ts";
import { openLab } from "../tools/lab/index.ts";
import { median } from "./stats.ts";

export interface FamilyScore {
  family: string;
  n: number;
  correct: number;
  accuracy: number;
  /** Malicious alerts the engine called malicious or suspicious (sent to a person or acted on). */
  maliciousCaught: number;
  malicious: number;
  /** Benign alerts the engine called malicious. */
  falseMalicious: number;
  benign: number;
}

export interface LabEvalResult {
  seed: number;
  total: { n: number; correct: number; accuracy: number };
  families: FamilyScore[];
  errors: Array<{
    alertId: string;
    family: string;
    type: string;
    expected: string;
    got: string;
    confidence: number;
  }>;
  failures: Array<{ alertId: string; error: string }>;
  medianMs: number;
}

export async function evaluateLab(config: TriageConfig): Promise<LabEvalResult> {
  const scratch = mkdtempSync(join(tmpdir(), "soc-triage-eval-"));
  const lab = openLab(config.labDatabasePath, { seed: config.labSeed });
  const truth = new Map(readGroundTruth(lab).map((t) => [t.alertId, t]));
  lab.close();
  const opened = await openRuntime(scratchConfig(config, scratch), { checkpointer: false });
  const alerts = await opened.runtime.deps.tools.alerts.listAlerts({ limit: 100_000 });
  const byFamily = new Map<string, FamilyScore>();
  const errors: LabEvalResult["errors"] = [];
  const failures: LabEvalResult["failures"] = [];
  const times: number[] = [];
  try {
    for (const alert of alerts) {
      const expected = truth.get(alert.id);
      if (!expected) continue;
      const score = byFamily.get(alert.family) ?? {
        family: alert.family,
        n: 0,
        correct: 0,
        accuracy: 0,
        maliciousCaught: 0,
        malicious: 0,
        falseMalicious: 0,
        benign: 0,
      };
      byFamily.set(alert.family, score);
      const started = performance.now();
      try {
        const { report } = await runTriage(opened.runtime, alert.id, { dryRun: true });
        times.push(performance.now() - started);
        const got = report.verdict.disposition;
        score.n++;
        if (got === expected.disposition) score.correct++;
        else
          errors.push({
            alertId: alert.id,
            family: alert.family,
            type: alert.type,
            expected: expected.disposition,
            got,
            confidence: report.verdict.confidence,
          });
        if (expected.disposition === "malicious") {
          score.malicious++;
          if (got !== "benign") score.maliciousCaught++;
        }
        if (expected.disposition === "benign") {
          score.benign++;
          if (got === "malicious") score.falseMalicious++;
        }
      } catch (error) {
        score.n++;
        failures.push({ alertId: alert.id, error: error instanceof Error ? error.message : String(error) });
      }
    }
  } finally {
    await opened.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  const families = [...byFamily.values()].map((f) => ({ ...f, accuracy: f.n ? f.correct / f.n : 0 }));
  const n = families.reduce((s, f) => s + f.n, 0);
  const correct = families.reduce((s, f) => s + f.correct, 0);
  return {
    seed: config.labSeed,
    total: { n, correct, accuracy: n ? correct / n : 0 },
    families,
    errors,
    failures,
    medianMs: median(times),
  };
}
