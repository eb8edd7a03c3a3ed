import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { projectRoot } from "../../agent/config.ts";
import { organizationProfileSchema } from "../../core/organization.ts";
import { loadEmailModel } from "../../agent/reasoners/offline/model/email-model.ts";
import { readCorpus } from "./corpus.ts";
import { prepareMessage } from "./pipeline.ts";

const FIXTURES = join(projectRoot, "evals", "email", "fixtures", "bec");
const configSchema = z.object({ organization: organizationProfileSchema });

/**
 * The verdict the offline engine reaches: the model's bias and content contributions, plus every finding at
 * the weight its analyzer gave it (expert findings act outside the trained model).
 */
async function dispositionOf(raw: string, organization: z.infer<typeof organizationProfileSchema>) {
  const { model, thresholds } = loadEmailModel();
  const { vector, signals } = await prepareMessage(raw, "raw", organization);
  const content = Object.entries(vector)
    .filter(([name]) => name.startsWith("content."))
    .reduce((sum, [name, value]) => sum + (model.weights[name] ?? 0) * value, 0);
  const logit = model.bias + content + signals.reduce((sum, s) => sum + s.weight, 0);
  const p = 1 / (1 + Math.exp(-logit));
  const disposition =
    p >= thresholds.malicious ? "malicious" : p <= thresholds.benign ? "benign" : "suspicious";
  return { disposition, p, ids: signals.filter((s) => s.weight > 0).map((s) => s.id) };
}

describe("BEC fixture set (evals/email/fixtures/bec)", () => {
  it("calls at least 7 of 8 attacks malicious and flags at most 1 of 8 benign look-alikes", async () => {
    const { organization } = configSchema.parse(parse(readFileSync(join(FIXTURES, "config.yaml"), "utf8")));
    const messages = readCorpus(FIXTURES);
    const results = await Promise.all(
      messages.map(async (m) => ({ ...m, ...(await dispositionOf(m.raw, organization)) })),
    );
    const attacks = results.filter((r) => r.label === "malicious");
    const benign = results.filter((r) => r.label === "benign");
    const report = results.map((r) => `${r.file}: ${r.disposition} ${r.p.toFixed(3)} [${r.ids.join(", ")}]`);
    expect(attacks.length, "attacks").toBeGreaterThanOrEqual(8);
    expect(benign.length, "benign look-alikes").toBeGreaterThanOrEqual(8);
    expect(
      attacks.filter((r) => r.disposition === "malicious").length,
      report.join("\n"),
    ).toBeGreaterThanOrEqual(attacks.length - 1);
    expect(benign.filter((r) => r.disposition !== "benign").length, report.join("\n")).toBeLessThanOrEqual(1);
  });
});
