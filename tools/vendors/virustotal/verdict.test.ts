import { describe, expect, it } from "vitest";
import { judgeStats, vocabularyTags, vtTags } from "./verdict.ts";

const stats = (malicious: number, suspicious = 0, harmless = 0, undetected = 0) => ({
  malicious,
  suspicious,
  harmless,
  undetected,
  timeout: 0,
});
const N = { maliciousEngines: 3 };

describe("virustotal verdict mapping", () => {
  it("scores malicious from the threshold up, 60 at N and +5 per engine, capped at 100", () => {
    expect(judgeStats(stats(3), N)).toEqual({ verdict: "malicious", score: 60 });
    expect(judgeStats(stats(7), N)).toEqual({ verdict: "malicious", score: 80 });
    expect(judgeStats(stats(9), N)).toEqual({ verdict: "malicious", score: 90 });
    expect(judgeStats(stats(60), N)).toEqual({ verdict: "malicious", score: 100 });
    expect(judgeStats(stats(5), { maliciousEngines: 5 })).toEqual({ verdict: "malicious", score: 60 });
  });

  it("calls 1..N-1 engines or any suspicious engine suspicious, always below a malicious score", () => {
    expect(judgeStats(stats(0, 2, 80), N)).toEqual({ verdict: "suspicious", score: 30 });
    expect(judgeStats(stats(1), N)).toEqual({ verdict: "suspicious", score: 40 });
    expect(judgeStats(stats(2, 4), N)).toEqual({ verdict: "suspicious", score: 50 });
    expect(judgeStats(stats(9), { maliciousEngines: 10 })).toEqual({ verdict: "suspicious", score: 55 });
  });

  it("says harmless only when clean answers outnumber no-opinions; undetected alone is unknown", () => {
    expect(judgeStats(stats(0, 0, 66, 27), N)).toEqual({ verdict: "harmless", score: 0 });
    expect(judgeStats(stats(0, 0, 0, 70), N)).toEqual({ verdict: "unknown", score: null });
    expect(judgeStats(stats(0, 0, 20, 20), N)).toEqual({ verdict: "unknown", score: null });
    expect(judgeStats(null, N)).toEqual({ verdict: "unknown", score: null });
    expect(judgeStats({}, N)).toEqual({ verdict: "unknown", score: null });
  });

  it("reads tags and categories through the vocabulary and drops the rest", () => {
    expect(vocabularyTags("Phishing and other Frauds")).toEqual(["phishing"]);
    expect(vocabularyTags("botnet C2")).toEqual(["c2"]);
    expect(vocabularyTags("Web Hosting")).toEqual(["hosting"]);
    expect(vocabularyTags("peexe")).toEqual([]);
    expect(vocabularyTags("tor exit node")).toEqual(["tor"]);
    expect(vocabularyTags("monitor")).toEqual([]);
    const now = new Date("2026-11-03T00:00:00Z");
    expect(
      vtTags(
        {
          tags: ["peexe", "tor"],
          categories: { a: "malicious sites", b: "newly registered websites" },
          popular_threat_classification: { popular_threat_category: [{ value: "Trojan" }] },
        },
        now,
      ),
    ).toEqual(["malware", "newly_registered", "tor", "trojan"]);
  });

  it("tags a domain registered in the last 30 days newly_registered", () => {
    const now = new Date("2026-11-03T00:00:00Z");
    const daysAgo = (d: number) => Math.floor(now.getTime() / 1000) - d * 86_400;
    expect(vtTags({ creation_date: daysAgo(3) }, now)).toEqual(["newly_registered"]);
    expect(vtTags({ creation_date: daysAgo(400) }, now)).toEqual([]);
  });
});
