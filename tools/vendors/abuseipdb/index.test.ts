import { afterEach, describe, expect, it } from "vitest";
import { abuseipdbVendor } from "./index.ts";
import { abuseIpdbAdapter } from "./testing/adapter.ts";
import { dailyLimitExceeded, startAbuseIpdbFake, type AbuseIpdbFake } from "./testing/fake.ts";

let fake: AbuseIpdbFake;
afterEach(async () => fake?.close());

const probe = (baseUrl: string, env: Record<string, string | undefined>) =>
  abuseIpdbAdapter({ baseUrl, apiKey: "" }, { env, retries: 0 }).instance.probe();

describe("abuseipdb vendor module", () => {
  it("parses a strict config with defaults, bounded maxAgeInDays and ordered bands", () => {
    expect(abuseipdbVendor.configSchema.parse({})).toEqual({
      baseUrl: "https://api.abuseipdb.com/api/v2",
      apiKeyEnv: "ABUSEIPDB_API_KEY",
      maxAgeInDays: 90,
      maliciousScore: 75,
      suspiciousScore: 25,
    });
    for (const bad of [{ maxAgeInDays: 0 }, { maxAgeInDays: 366 }, { key: "x" }, { suspiciousScore: 80 }])
      expect(abuseipdbVendor.configSchema.safeParse(bad).success).toBe(false);
    expect(abuseipdbVendor.provides).toEqual(["intel"]);
  });

  it("probes with one check of 127.0.0.1 and reports the daily checks left", async () => {
    fake = await startAbuseIpdbFake();
    expect(await probe(fake.baseUrl, { ABUSEIPDB_API_KEY: fake.apiKey })).toEqual([
      { check: "intel: check 127.0.0.1", ok: true, detail: "authenticated; 999 of 1000 daily checks left" },
    ]);
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.query.get("ipAddress")}`)).toEqual([
      "GET /api/v2/check 127.0.0.1",
    ]);
  });

  it("reports refused auth, a missing key, a forbidden plan, a spent quota and a dead server as one line each", async () => {
    fake = await startAbuseIpdbFake();
    const [refused] = await probe(fake.baseUrl, { ABUSEIPDB_API_KEY: "wrong" });
    expect(refused).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/HTTP 401 Authentication failed/),
    });
    const [missing] = await probe(fake.baseUrl, {});
    expect(missing?.detail).toBe("abuseipdb: no credentials: set ABUSEIPDB_API_KEY in the environment");
    fake.inject(dailyLimitExceeded);
    const [quota] = await probe(fake.baseUrl, { ABUSEIPDB_API_KEY: fake.apiKey });
    expect(quota).toMatchObject({ ok: false, detail: expect.stringMatching(/HTTP 429 Daily rate limit/) });
    await fake.close();
    fake = await startAbuseIpdbFake({ forbidden: true });
    const [forbidden] = await probe(fake.baseUrl, { ABUSEIPDB_API_KEY: fake.apiKey });
    expect(forbidden).toMatchObject({ ok: false, detail: expect.stringMatching(/HTTP 403 Your plan/) });
    const deadUrl = fake.baseUrl;
    await fake.close();
    const [down] = await probe(deadUrl, { ABUSEIPDB_API_KEY: "k" });
    expect(down).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/cannot reach http:\/\/127\.0\.0\.1/),
    });
    for (const line of [refused, missing, quota, forbidden, down]) expect(line?.detail).not.toMatch(/\n/);
  });
});
