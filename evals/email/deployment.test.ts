import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../agent/config.ts";
import { corpusConfigPath, readCorpus } from "./corpus.ts";
import { deploymentMetrics, metricsBy, socFigures } from "./deployment.ts";
import { evaluateEmailCorpus } from "./evaluate.ts";
import { findingStats } from "./finding-stats.ts";
import { withoutFindings } from "./outcome.ts";
import { writeEmailReport } from "./report.ts";
import { streamView } from "./stream.ts";
import { writeFixtureCorpus } from "./testing-corpus.ts";

const tmp = mkdtempSync(join(tmpdir(), "email-eval-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const o = (
  label: 0 | 1,
  p: number,
  disposition: "malicious" | "suspicious" | "benign",
  source: string | null,
) => ({
  label,
  p,
  disposition,
  source,
});

describe("SOC-queue figures", () => {
  const outcomes = [
    o(1, 0.9, "malicious", "pot"),
    o(1, 0.2, "benign", "pot"),
    o(1, 0.5, "suspicious", "pot"),
    o(0, 0.1, "benign", "enron"),
    o(0, 0.5, "suspicious", "enron"),
    o(0, 0.7, "malicious", null),
  ];

  it("counts attacks closed as benign, legitimate mail sent to a person, and what was decided alone", () => {
    expect(socFigures(outcomes)).toEqual({
      attacksClosedAsBenign: { count: 1, of: 3, share: 1 / 3 },
      legitimateToPerson: { count: 2, of: 3, share: 2 / 3 },
      decidedWithoutPerson: { count: 4, of: 6, share: 4 / 6 },
    });
  });

  it("reports per group, and leaves AUC and recall at FPR ≤ 1% empty where one class is missing", () => {
    const groups = metricsBy(outcomes, (x) => x.source);
    expect(groups.map((g) => [g.group, g.n, g.malicious, g.benign])).toEqual([
      ["pot", 3, 3, 0],
      ["enron", 2, 0, 2],
    ]);
    expect(groups[0]?.auc).toBeNull();
    expect(groups[0]?.recallAtFpr1).toBeNull();
    expect(groups[1]?.legitimateToPerson).toEqual({ count: 1, of: 2, share: 0.5 });
    expect(groups[0]?.brier).toBeCloseTo((0.01 + 0.64 + 0.25) / 3);
    const all = deploymentMetrics(outcomes);
    expect(all.auc).toBeCloseTo(5.5 / 9);
    expect(all.recallAtFpr1).toBeCloseTo(1 / 3);
    expect(metricsBy(outcomes, () => null)).toEqual([]);
  });
});

describe("per-finding table", () => {
  it("counts a finding once per message, with its class shares, precision and mean push", () => {
    const stats = findingStats([
      {
        label: 1,
        findings: [
          { id: "a", weight: 1 },
          { id: "a", weight: 0.5 },
          { id: "b", weight: -1 },
        ],
      },
      { label: 1, findings: [{ id: "a", weight: 0.5 }] },
      { label: 0, findings: [{ id: "a", weight: 1 }] },
      { label: 0, findings: [] },
    ]);
    expect(stats).toEqual([
      {
        id: "a",
        malicious: { count: 2, share: 1 },
        benign: { count: 1, share: 0.5 },
        fires: 3,
        precision: 2 / 3,
        meanWeight: 1,
      },
      {
        id: "b",
        malicious: { count: 1, share: 0.5 },
        benign: { count: 0, share: 0 },
        fires: 1,
        precision: 1,
        meanWeight: -1,
      },
    ]);
  });
});

describe("taking findings back out", () => {
  it("removes their push from P and draws the disposition again; other outcomes stay as they were", () => {
    const base = { file: "f", source: null, class: null, label: 0 as const };
    const fed = { ...base, p: 0.5, disposition: "suspicious" as const };
    const [changed, untouched] = withoutFindings(
      [
        {
          ...fed,
          findings: [
            { id: "memory.seen_in_malicious_cases", weight: 1 },
            { id: "email.x", weight: -1 },
          ],
        },
        { ...fed, findings: [{ id: "email.x", weight: 0 }] },
      ],
      "memory.",
      { malicious: 0.8, benign: 0.3 },
    );
    expect(changed?.p).toBeCloseTo(1 / (1 + Math.E));
    expect(changed?.disposition).toBe("benign");
    expect(changed?.findings).toEqual([{ id: "email.x", weight: -1 }]);
    expect(untouched?.disposition).toBe("suspicious");
  });
});

describe("evaluating a corpus for a deployment", () => {
  const dir = join(tmp, "corpus");
  writeFixtureCorpus(dir);

  it("reads sources and classes from the manifest and finds the corpus's config.yaml", () => {
    const corpus = readCorpus(dir);
    expect(corpus.map((m) => [m.source, m.class])).toEqual([
      ["bec", "ceo_fraud"],
      ["phishing_pot", "phishing"],
      ["enron", null],
      ["spamassassin", "ham-easy"],
    ]);
    expect(corpusConfigPath(dir)).toBe(join(dir, "config.yaml"));
    expect(corpusConfigPath(tmp)).toBeNull();
  });

  it("the organization block changes a verdict: a protected person's name from outside", async () => {
    const config = loadConfig({ config: join(dir, "config.yaml") }, {});
    const plain = await evaluateEmailCorpus(dir);
    const deployed = await evaluateEmailCorpus(dir, {
      organization: config.organization,
      configPath: config.configPath,
    });
    const fired = (r: typeof plain) =>
      r.independent.findings.find((f) => f.id === "email.sender.impersonates_person");
    expect(fired(plain)).toBeUndefined();
    expect(fired(deployed)).toMatchObject({ malicious: { count: 1 }, benign: { count: 0 }, precision: 1 });
    expect(plain.headline.dispositions.malicious.malicious).toBe(1);
    expect(deployed.headline.dispositions.malicious.malicious).toBe(2);
    expect(deployed.organization).toEqual({ name: "Acme Widgets", configPath: join(dir, "config.yaml") });
    expect(deployed.independent.bySource.map((s) => [s.group, s.n])).toEqual([
      ["bec", 1],
      ["phishing_pot", 1],
      ["enron", 1],
      ["spamassassin", 1],
    ]);
    expect(deployed.independent.byClass.map((s) => s.group)).toEqual(["ceo_fraud", "phishing", "ham-easy"]);
    expect(deployed.stream).toBeNull();
  });

  it("streams the messages through the graph into one case memory and reports both views", async () => {
    const scratchDir = join(tmp, "stream");
    const config = loadConfig({ config: join(dir, "config.yaml"), db: join(tmp, "unused.db") }, {});
    const progress: number[] = [];
    const result = await evaluateEmailCorpus(dir, {
      organization: config.organization,
      stream: { config, scratchDir, onProgress: (done) => progress.push(done) },
    });
    expect(progress).toEqual([1, 2, 3, 4]);
    const stream = result.stream;
    expect(stream?.overall.n).toBe(4);
    expect(stream?.bySource.map((s) => s.group)).toEqual(["bec", "phishing_pot", "enron", "spamassassin"]);
    // The graph runs the same playbook: the protected person is flagged there too, and the case memory's
    // own findings appear only in the stream.
    expect(stream?.findings.some((f) => f.id === "email.sender.impersonates_person")).toBe(true);
    expect(result.independent.findings.some((f) => f.id.startsWith("memory."))).toBe(false);
    // No two fixtures share a sender, link or Message-ID: nothing in memory may speak against the legitimate ones.
    expect(stream?.findings.filter((f) => f.id.startsWith("memory.") && f.benign.count > 0)).toEqual([]);
    expect(stream?.overall.attacksClosedAsBenign.of).toBe(2);
    expect(stream?.withoutMemory.legitimateToPerson.of).toBe(2);

    const written = writeEmailReport(result, join(tmp, "report"));
    const markdown = readFileSync(written.markdown, "utf8");
    expect(markdown).toMatch(/## The SOC queue/);
    expect(markdown).toMatch(/\| stream \| 4 \|/);
    expect(markdown).toMatch(/### Findings, stream view/);
    expect(markdown).toMatch(/\| bec \| independent \| 1 \|/);
    const json: unknown = JSON.parse(readFileSync(written.json, "utf8"));
    expect(json).toMatchObject({ stream: { overall: { n: 4 } }, independent: { overall: { n: 4 } } });
  });

  it("gives each streamed message its own Message-ID, which the headline view would otherwise share", () => {
    const [a, b] = readCorpus(dir);
    const id = (raw: string) => /^Message-ID: (.*)$/im.exec(streamView(raw))?.[1];
    expect(id(a?.raw ?? "")).toMatch(/^<[0-9a-f]{32}@corpus\.invalid>$/);
    expect(id(a?.raw ?? "")).not.toBe(id(b?.raw ?? ""));
    expect(id(a?.raw ?? "")).toBe(id(a?.raw ?? ""));
    expect(streamView("From: a@b.example\r\nSubject: no id\r\n\r\nbody\r\n")).toMatch(
      /^Message-ID: <[0-9a-f]{32}@/m,
    );
  });

  it("names the manifest line of a bad source", () => {
    const bad = join(tmp, "bad");
    writeFixtureCorpus(bad);
    writeFileSync(
      join(bad, "manifest.jsonl"),
      `{"file": "colleague.eml", "label": "benign", "source": ""}\n`,
    );
    expect(() => readCorpus(bad)).toThrow(/manifest\.jsonl:1: source:/);
  });
});
