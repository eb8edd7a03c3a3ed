import { afterEach, describe, expect, it } from "vitest";
import { describeIntelContract } from "../../contracts/intel.contract.ts";
import { isToolError, type ToolError } from "../../../core/errors.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { intelVerdictSchema } from "../../../core/domain.ts";
import { ABUSEIPDB_COVERS } from "./intel.ts";
import { abuseIpdbAdapter } from "./testing/adapter.ts";
import { dailyLimitExceeded, startAbuseIpdbFake, type AbuseIpdbFake } from "./testing/fake.ts";

// AbuseIPDB has no domain data: the contract expects the fixture's domain to come back "unknown".
describeIntelContract(
  "abuseipdb",
  async () => {
    const fake = await startAbuseIpdbFake();
    return { port: abuseIpdbAdapter(fake).intel, fixture: FIXTURE, teardown: () => fake.close() };
  },
  { covers: ABUSEIPDB_COVERS },
);

let fake: AbuseIpdbFake;
afterEach(async () => fake?.close());

const failure = (promise: Promise<unknown>): Promise<ToolError> =>
  promise.then(
    () => expect.unreachable("expected a failure"),
    (e: unknown) => (isToolError(e) ? e : Promise.reject(e)),
  );

describe("abuseipdb intel: requests and mapping", () => {
  it("checks an IP with Key, Accept JSON, maxAgeInDays and verbose, and maps score, usage and reports", async () => {
    fake = await startAbuseIpdbFake();
    const { intel } = abuseIpdbAdapter(fake, { config: { maxAgeInDays: 30 } });
    const verdict = intelVerdictSchema.parse(await intel.lookup({ type: "ip", value: " 45.1.2.3 " }));
    expect(verdict).toEqual({
      observable: { type: "ip", value: " 45.1.2.3 " },
      verdict: "malicious",
      score: 90,
      sources: ["abuseipdb"],
      tags: ["hosting"],
      firstSeen: null,
      detail:
        "AbuseIPDB: confidence 90, 3 reports from 3 users in 30 days, last 2026-11-02; Data Center/Web Hosting/Transit, Example Hosting SRL (RO)",
    });
    const sent = fake.requests[0];
    expect(sent?.path).toBe("/api/v2/check");
    expect(sent?.headers.key).toBe(fake.apiKey);
    expect(sent?.headers.accept).toBe("application/json");
    expect([...(sent?.query.entries() ?? [])]).toEqual([
      ["ipAddress", "45.1.2.3"],
      ["maxAgeInDays", "30"],
      ["verbose", ""],
    ]);
  });

  it("URL-encodes an IPv6 address and answers a never-reported one unknown, not harmless", async () => {
    fake = await startAbuseIpdbFake();
    const { intel } = abuseIpdbAdapter(fake);
    const verdict = await intel.lookup({ type: "ip", value: "2001:db8::1" });
    expect(verdict).toMatchObject({ verdict: "unknown", score: null, tags: [] });
    expect(verdict.detail).toBe("AbuseIPDB: no reports in 90 days; Fixed Line ISP, Example ISP");
    expect(fake.requests[0]?.query.get("ipAddress")).toBe("2001:db8::1");
  });

  it("tags Tor and reporters' categories when the score is high, but not on one weak report", async () => {
    fake = await startAbuseIpdbFake();
    const { intel } = abuseIpdbAdapter(fake);
    expect(await intel.lookup({ type: "ip", value: "185.220.101.1" })).toMatchObject({
      verdict: "malicious",
      score: 100,
      tags: ["brute_force", "hosting", "scanner", "tor"],
    });
    expect(await intel.lookup({ type: "ip", value: "198.51.100.7" })).toMatchObject({
      verdict: "unknown",
      score: 10,
      tags: [],
    });
    expect(await intel.lookup({ type: "ip", value: "8.8.8.8" })).toMatchObject({
      verdict: "harmless",
      score: 0,
      tags: ["cdn"],
      detail: "AbuseIPDB: whitelisted; no reports in 90 days; Content Delivery Network, Example ISP",
    });
    expect(await intel.lookup({ type: "ip", value: "10.1.2.3" })).toMatchObject({
      verdict: "unknown",
      detail: "AbuseIPDB: not a public address; no reports in 90 days; Reserved, Example ISP",
    });
  });

  it("answers other types and non-IP values unknown without spending a check", async () => {
    fake = await startAbuseIpdbFake();
    const { intel } = abuseIpdbAdapter(fake);
    const answers = await Promise.all([
      intel.lookup({ type: "domain", value: "evil.test" }),
      intel.lookup({ type: "url", value: "http://45.1.2.3/x" }),
      intel.lookup({ type: "ip", value: "45.1.2.3&maxAgeInDays=1" }),
      intel.lookup({ type: "ip", value: "evil.test" }),
    ]);
    expect(answers.map((a) => a.verdict)).toEqual(["unknown", "unknown", "unknown", "unknown"]);
    expect(answers[0]).toMatchObject({
      observable: { type: "domain", value: "evil.test" },
      detail: "AbuseIPDB: AbuseIPDB has no domain lookups",
    });
    expect(fake.requests).toHaveLength(0);
  });

  it("turns AbuseIPDB's own 422 into unknown", async () => {
    fake = await startAbuseIpdbFake();
    const { intel } = abuseIpdbAdapter(fake);
    fake.inject({
      status: 422,
      body: { errors: [{ detail: "The ip address must be a valid IPv4 or IPv6 address.", status: 422 }] },
    });
    const verdict = await intel.lookup({ type: "ip", value: "45.1.2.3" });
    expect(verdict).toMatchObject({ verdict: "unknown", score: null });
    expect(verdict.detail).toMatch(/refused the value \(HTTP 422 The ip address must be a valid/);
  });
});

describe("abuseipdb intel: throttling and errors", () => {
  it("fails fast on the daily limit (Retry-After of hours) with RATE_LIMITED and the hint", async () => {
    fake = await startAbuseIpdbFake();
    const { intel, waits } = abuseIpdbAdapter(fake);
    fake.inject(dailyLimitExceeded);
    const error = await failure(intel.lookup({ type: "ip", value: "45.1.2.3" }));
    expect([error.code, error.retryAfterMs]).toEqual(["RATE_LIMITED", 29_241_000]);
    expect(error.message).toMatch(
      /^abuseipdb: GET \/api\/v2\/check: HTTP 429 Daily rate limit of 1000 requests/,
    );
    expect(waits).toEqual([]);
    expect(fake.requests).toHaveLength(1);
  });

  it("waits out a short throttle (Retry-After, or X-RateLimit-Reset) and retries", async () => {
    fake = await startAbuseIpdbFake();
    const { intel, waits } = abuseIpdbAdapter(fake);
    fake.inject({
      status: 429,
      headers: { "retry-after": "2" },
      body: { errors: [{ detail: "slow", status: 429 }] },
    });
    const resetAt = Math.floor(Date.now() / 1000) + 5;
    fake.inject({ status: 429, headers: { "x-ratelimit-reset": String(resetAt) }, body: {} });
    expect((await intel.lookup({ type: "ip", value: "45.1.2.3" })).verdict).toBe("malicious");
    expect(fake.requests).toHaveLength(3);
    expect(waits[0]).toBeGreaterThanOrEqual(2000);
    expect(waits[1]).toBeGreaterThanOrEqual(3000);
  });

  it("gives up with RATE_LIMITED once the retries are spent", async () => {
    fake = await startAbuseIpdbFake();
    const { intel, waits } = abuseIpdbAdapter(fake, { retries: 2 });
    fake.inject({ status: 429, headers: { "retry-after": "1" }, body: {} }, { times: 5 });
    expect((await failure(intel.lookup({ type: "ip", value: "45.1.2.3" }))).code).toBe("RATE_LIMITED");
    expect(fake.requests).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });

  it("reports a wrong key, a missing key and a forbidden plan by code with AbuseIPDB's words", async () => {
    fake = await startAbuseIpdbFake();
    const wrong = await failure(
      abuseIpdbAdapter(fake, { env: { ABUSEIPDB_API_KEY: "nope" } }).intel.lookup({
        type: "ip",
        value: "1.1.1.1",
      }),
    );
    expect(wrong.code).toBe("AUTH_FAILED");
    expect(wrong.message).toMatch(
      /^abuseipdb: GET \/api\/v2\/check: HTTP 401 Authentication failed\. Your API key/,
    );
    const missing = await failure(
      abuseIpdbAdapter(fake, { env: {} }).intel.lookup({ type: "ip", value: "1.1.1.1" }),
    );
    expect(missing.message).toBe("abuseipdb: no credentials: set ABUSEIPDB_API_KEY in the environment");
    await fake.close();
    fake = await startAbuseIpdbFake({ forbidden: true });
    expect((await failure(abuseIpdbAdapter(fake).intel.lookup({ type: "ip", value: "1.1.1.1" }))).code).toBe(
      "FORBIDDEN",
    );
  });
});
