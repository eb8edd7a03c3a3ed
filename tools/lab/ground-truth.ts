/**
 * The lab's answer key. Only evals and tests import this module; no port and no engine code reads it, so
 * the engine cannot peek at the labels it is scored on.
 */
import type Database from "better-sqlite3";
import { z } from "zod";
import { verdictCategorySchema } from "../../core/domain.ts";

export const groundTruthSchema = z
  .object({
    alert_id: z.string(),
    disposition: z.enum(["malicious", "benign"]),
    category: verdictCategorySchema,
    scenario: z.string(),
  })
  .transform((r) => ({
    alertId: r.alert_id,
    disposition: r.disposition,
    category: r.category,
    scenario: r.scenario,
  }));
export type GroundTruthRow = z.infer<typeof groundTruthSchema>;

export function readGroundTruth(db: Database.Database): GroundTruthRow[] {
  return db
    .prepare("SELECT alert_id, disposition, category, scenario FROM ground_truth ORDER BY alert_id")
    .all()
    .map((r) => groundTruthSchema.parse(r));
}
