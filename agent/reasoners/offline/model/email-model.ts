/**
 * Loads the shipped email scoring model (agent/reasoners/offline/model/email-model.json, produced by
 * `npm run train`). The file is data: parsed with zod, never trusted as code.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { logisticModelSchema } from "../../../../tools/analyzers/logistic.ts";

export const emailModelSchema = z.object({
  version: z.literal(1),
  kind: z.literal("logistic_regression"),
  view: z.enum(["headline", "raw"]),
  seed: z.number().int(),
  corpus: z.object({
    manifestSha256: z.string(),
    n: z.number().int(),
    trainN: z.number().int(),
    heldOutN: z.number().int(),
    /** Per source (the manifest's `source`): messages, and how many of them the weights were fitted on. */
    sources: z.record(z.string(), z.object({ n: z.number().int(), trainN: z.number().int() })).optional(),
  }),
  model: logisticModelSchema,
  /** P(malicious) at or above `malicious` is malicious; at or below `benign` is benign; between, suspicious. */
  thresholds: z.object({ malicious: z.number().min(0).max(1), benign: z.number().min(0).max(1) }),
  /** sha256 of every message the weights were fitted on: an evaluation must not score these. */
  trainedOn: z.array(z.string()),
});
export type EmailModelFile = z.infer<typeof emailModelSchema>;

export const EMAIL_MODEL_PATH = new URL("./email-model.json", import.meta.url);

let cached: EmailModelFile | null = null;
export function loadEmailModel(): EmailModelFile {
  cached ??= emailModelSchema.parse(JSON.parse(readFileSync(EMAIL_MODEL_PATH, "utf8")));
  return cached;
}
