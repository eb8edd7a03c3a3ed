import { describe, expect, it } from "vitest";
import { hostVerdict, isoOfUrlhausDate, urlVerdict, vocabularyTags } from "./verdict.ts";

const domain = { type: "domain", value: "x.example" } as const;

describe("urlhaus verdict mapping", () => {
  it("reads URLhaus dates with and without time or UTC, and refuses the rest", () => {
    expect(isoOfUrlhausDate("2019-01-19 01:33:26 UTC")).toBe("2019-01-19T01:33:26.000Z");
    expect(isoOfUrlhausDate("2019-01-19 01:33:26")).toBe("2019-01-19T01:33:26.000Z");
    expect(isoOfUrlhausDate("2019-01-19")).toBe("2019-01-19T00:00:00.000Z");
    for (const bad of ["", null, undefined, "yesterday", "2019-13-45 00:00:00 UTC"])
      expect(isoOfUrlhausDate(bad)).toBeNull();
  });

  it("reads DBL classes and reporter tags through the vocabulary", () => {
    expect(vocabularyTags("botnet_cc_domain")).toEqual(["c2"]);
    expect(vocabularyTags("abused_legit_botnetcc")).toEqual(["c2"]);
    expect(vocabularyTags("spammer_domain")).toEqual(["spam"]);
    expect(vocabularyTags("CoinMiner")).toEqual(["cryptomining"]);
    expect(vocabularyTags("Emotet")).toEqual([]);
  });

  it("scores a URL by whether it can still deliver", () => {
    const url = { type: "url", value: "http://x.example/a" } as const;
    expect(urlVerdict(url, { url_status: "online" }).score).toBe(90);
    expect(urlVerdict(url, { url_status: "unknown" }).score).toBe(80);
    expect(urlVerdict(url, { url_status: null }).score).toBe(80);
    expect(urlVerdict(url, { url_status: "offline", tags: null }).score).toBe(70);
  });

  it("lets the strongest host signal decide and gathers every signal's tags", () => {
    expect(
      hostVerdict(domain, {
        blacklists: { spamhaus_dbl: "botnet_cc_domain", surbl: "listed" },
        urls: [{ url_status: "online", tags: ["Phishing"] }],
      }),
    ).toMatchObject({ verdict: "malicious", score: 90, tags: ["c2", "phishing"] });
    expect(
      hostVerdict(domain, { blacklists: { spamhaus_dbl: "not listed", surbl: "not listed" }, urls: [] }),
    ).toMatchObject({ verdict: "unknown", score: null, tags: [] });
    expect(hostVerdict(domain, { urls: [{ url_status: "offline" }], url_count: "120" })).toMatchObject({
      verdict: "suspicious",
      score: 50,
      detail: "URLhaus: 120 malware URLs (0 online)",
    });
  });
});
