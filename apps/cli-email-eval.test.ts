/** `triage eval --corpus` as a user runs it: the corpus's config, --config, --stream, and bad input. */
import { appendFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { writeFixtureCorpus } from "../evals/email/testing-corpus.ts";
import { runCli, scratchCliEnv } from "./testing/run-cli.ts";

const { dir, env } = scratchCliEnv("soc-triage-eval-cli-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const corpus = join(dir, "corpus");
writeFixtureCorpus(corpus);
const out = join(dir, "results");

const rateSchema = z.object({ count: z.number(), of: z.number(), share: z.number() });
const summarySchema = z.object({
  organization: z.object({ name: z.string(), configPath: z.string().nullable() }),
  headline: z.object({
    dispositions: z.object({ malicious: z.record(z.string(), z.number()) }),
  }),
  independent: z.object({
    overall: z.object({
      n: z.number(),
      attacksClosedAsBenign: rateSchema,
      legitimateToPerson: rateSchema,
      decidedWithoutPerson: rateSchema,
    }),
    bySource: z.array(z.object({ group: z.string(), n: z.number() })),
  }),
  stream: z.null(),
});

describe("triage eval --corpus", () => {
  it("scores for the organization in the corpus's config.yaml, and --config overrides it", () => {
    const own = runCli(["eval", "--corpus", corpus, "--out", out, "--json"], env);
    expect(own.stderr).toBe("");
    expect(own.code).toBe(0);
    const deployed = summarySchema.parse(JSON.parse(own.stdout));
    expect(deployed.organization.name).toBe("Acme Widgets");
    expect(deployed.independent.bySource).toHaveLength(4);
    expect(deployed.headline.dispositions.malicious.malicious).toBe(2);

    const other = join(dir, "other.yaml");
    writeFileSync(other, "organization:\n  name: Other Co\n");
    const run = runCli(["eval", "--corpus", corpus, "--out", out, "--json", "--config", other], env);
    expect(run.code).toBe(0);
    const plain = summarySchema.parse(JSON.parse(run.stdout));
    expect(plain.organization).toEqual({ name: "Other Co", configPath: other });
    // Without the protected person, the CEO-fraud message is no longer called malicious.
    expect(plain.headline.dispositions.malicious.malicious).toBe(1);
  });

  it("--stream reports the stream beside the independent view, per source, with no progress off a terminal", () => {
    const run = runCli(["eval", "--corpus", corpus, "--out", out, "--stream"], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^independent +4 +0\/2 \(0\.0%\)/m);
    expect(run.stdout).toMatch(/^stream +4 /m);
    expect(run.stdout).toMatch(/^bec \(stream\) +1 /m);
    expect(run.stdout).toMatch(/^Findings, top 15 by firings/m);
  });

  it("refuses a corpus whose config.yaml is invalid, a bad manifest line, and --stream alone: one line, exit 2", () => {
    const broken = join(dir, "broken");
    writeFixtureCorpus(broken);
    writeFileSync(join(broken, "config.yaml"), "organization:\n  protectedPeople: 7\n");
    const config = runCli(["eval", "--corpus", broken, "--out", out], env);
    expect(config.code).toBe(2);
    expect(config.stderr.trim().split("\n")).toHaveLength(1);
    expect(config.stderr).toMatch(/config\.yaml: organization\.protectedPeople/);

    const badLine = join(dir, "bad-line");
    writeFixtureCorpus(badLine, { config: false });
    appendFileSync(join(badLine, "manifest.jsonl"), `{"file": "colleague.eml", "label": "ham"}\n`);
    const manifest = runCli(["eval", "--corpus", badLine, "--out", out], env);
    expect(manifest.code).toBe(2);
    expect(manifest.stderr).toMatch(/^triage: .*manifest\.jsonl:5: label: .*\n$/);

    const alone = runCli(["eval", "--lab", "--stream"], env);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--stream goes with --corpus/);
  });
});
