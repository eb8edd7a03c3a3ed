import { describe, expect, it } from "vitest";
import { checkTags, judgeCheck, type AbuseIpdbCheck } from "./verdict.ts";

const bands = { maliciousScore: 75, suspiciousScore: 25, maxAgeInDays: 90 };
const check = (score: number, reports: number, extra: Partial<AbuseIpdbCheck> = {}): AbuseIpdbCheck => ({
  ipAddress: "203.0.113.9",
  isPublic: true,
  abuseConfidenceScore: score,
  totalReports: reports,
  ...extra,
});

describe("abuseipdb verdict mapping", () => {
  it("bands a reported IP's confidence: malicious ≥ 75, suspicious ≥ 25, weaker stays unknown", () => {
    expect(judgeCheck(check(100, 40), bands)).toEqual({ verdict: "malicious", score: 100 });
    expect(judgeCheck(check(75, 3), bands)).toEqual({ verdict: "malicious", score: 75 });
    expect(judgeCheck(check(74, 3), bands)).toEqual({ verdict: "suspicious", score: 74 });
    expect(judgeCheck(check(25, 1), bands)).toEqual({ verdict: "suspicious", score: 25 });
    expect(judgeCheck(check(24, 1), bands)).toEqual({ verdict: "unknown", score: 24 });
    expect(judgeCheck(check(50, 2), { ...bands, maliciousScore: 50 })).toEqual({
      verdict: "malicious",
      score: 50,
    });
  });

  it("never calls an unreported IP harmless; only AbuseIPDB's whitelist does", () => {
    expect(judgeCheck(check(0, 0), bands)).toEqual({ verdict: "unknown", score: null });
    expect(judgeCheck(check(0, 0, { totalReports: null }), bands)).toEqual({
      verdict: "unknown",
      score: null,
    });
    expect(judgeCheck(check(0, 0, { isWhitelisted: true }), bands)).toEqual({
      verdict: "harmless",
      score: 0,
    });
    expect(judgeCheck(check(90, 5, { isPublic: false }), bands)).toEqual({ verdict: "unknown", score: null });
  });

  it("tags network facts always and reporters' categories only from the suspicious band", () => {
    const reported = check(60, 2, {
      usageType: "Data Center/Web Hosting/Transit",
      isTor: true,
      reports: [{ categories: [14, 15, 22] }, { categories: null }, { categories: [7, 99] }],
    });
    expect(checkTags(reported, judgeCheck(reported, bands))).toEqual([
      "brute_force",
      "hosting",
      "phishing",
      "scanner",
      "tor",
    ]);
    const weak = { ...reported, abuseConfidenceScore: 5 };
    expect(checkTags(weak, judgeCheck(weak, bands))).toEqual(["hosting", "tor"]);
    expect(
      checkTags(check(0, 0, { usageType: "Fixed Line ISP" }), { verdict: "unknown", score: null }),
    ).toEqual([]);
  });
});
