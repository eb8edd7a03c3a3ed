import { afterEach, describe, expect, it } from "vitest";
import { describeIntelContract } from "../../contracts/intel.contract.ts";
import { isToolError, type ToolError } from "../../../core/errors.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { formOf, recordingSleep } from "../../testing/fake-http.ts";
import { intelVerdictSchema } from "../../../core/domain.ts";
import { type ThreatIntel } from "../../../core/ports.ts";
import { urlhausVendor } from "./index.ts";
import { URLHAUS_COVERS } from "./intel.ts";
import { startUrlhausFake, type UrlhausFake } from "./testing/fake.ts";

function adapter(
  fake: UrlhausFake,
  env: Record<string, string | undefined> = { URLHAUS_AUTH_KEY: fake.authKey },
) {
  const sleeper = recordingSleep();
  const instance = urlhausVendor.create(urlhausVendor.configSchema.parse({ baseUrl: fake.baseUrl }), {
    env,
    now: () => new Date("2026-11-03T10:00:00Z"),
    http: { sleep: sleeper.sleep },
  });
  const intel: ThreatIntel = instance.intel ?? expect.unreachable("urlhaus serves intel");
  return { intel, waits: sleeper.waits };
}

describeIntelContract(
  "urlhaus",
  async () => {
    const fake = await startUrlhausFake();
    return { port: adapter(fake).intel, fixture: FIXTURE, teardown: () => fake.close() };
  },
  { covers: URLHAUS_COVERS },
);

let fake: UrlhausFake;
afterEach(async () => fake?.close());

const failure = (promise: Promise<unknown>): Promise<ToolError> =>
  promise.then(
    () => expect.unreachable("expected a failure"),
    (e: unknown) => (isToolError(e) ? e : Promise.reject(e)),
  );

describe("urlhaus intel: requests", () => {
  it("POSTs forms with Auth-Key to the trailing-slash endpoint of each type", async () => {
    fake = await startUrlhausFake();
    const { intel } = adapter(fake);
    await intel.lookup({ type: "url", value: "http://45.1.2.3/bins/x86?a=1&b=2" });
    await intel.lookup({ type: "domain", value: "EVIL.test" });
    await intel.lookup({ type: "ip", value: "45.1.2.3" });
    await intel.lookup({ type: "file_hash", value: "0123456789ABCDEF0123456789ABCDEF" });
    await intel.lookup({ type: "file_hash", value: "c".repeat(64) });
    expect(fake.requests.map((r) => [r.method, r.path, Object.fromEntries(formOf(r))])).toEqual([
      ["POST", "/v1/url/", { url: "http://45.1.2.3/bins/x86?a=1&b=2" }],
      ["POST", "/v1/host/", { host: "evil.test" }],
      ["POST", "/v1/host/", { host: "45.1.2.3" }],
      ["POST", "/v1/payload/", { md5_hash: "0123456789abcdef0123456789abcdef" }],
      ["POST", "/v1/payload/", { sha256_hash: "c".repeat(64) }],
    ]);
    for (const r of fake.requests) {
      expect(r.headers["auth-key"]).toBe(fake.authKey);
      expect(r.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    }
  });

  it("sends hostile values as one form field, never spliced", async () => {
    fake = await startUrlhausFake();
    const { intel } = adapter(fake);
    const hostile = 'http://evil.test/a"b\\c|d?e=1&host=45.1.2.3\n';
    expect((await intel.lookup({ type: "url", value: hostile })).verdict).toBe("unknown");
    const sent = fake.requests[0];
    expect(sent && [...formOf(sent).entries()]).toEqual([["url", hostile.trim()]]);
  });

  it("answers unknown without a request for what URLhaus cannot know", async () => {
    fake = await startUrlhausFake();
    const { intel } = adapter(fake);
    const answers = await Promise.all([
      intel.lookup({ type: "email", value: "ap@evil.test" }),
      intel.lookup({ type: "ip", value: "2001:db8::1" }),
      intel.lookup({ type: "ip", value: "evil.test" }),
      intel.lookup({ type: "domain", value: "evil.test&host=45.1.2.3" }),
      intel.lookup({ type: "file_hash", value: "a".repeat(40) }),
      intel.lookup({ type: "url", value: "not a url" }),
    ]);
    expect(answers.map((a) => a.detail)).toEqual([
      "URLhaus: URLhaus has no email lookups",
      "URLhaus: URLhaus lists IPv4 hosts only",
      "URLhaus: not an IP address",
      "URLhaus: not a domain name",
      "URLhaus: URLhaus knows payloads by MD5 or SHA-256 only",
      "URLhaus: not a URL",
    ]);
    expect(answers.every((a) => a.verdict === "unknown")).toBe(true);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("urlhaus intel: answers", () => {
  it("maps a URL entry: malicious by state, threat and vocabulary tags, date_added as firstSeen", async () => {
    fake = await startUrlhausFake();
    const { intel } = adapter(fake);
    const online = intelVerdictSchema.parse(
      await intel.lookup({ type: "url", value: "http://45.1.2.3/bins/x86" }),
    );
    expect(online).toEqual({
      observable: { type: "url", value: "http://45.1.2.3/bins/x86" },
      verdict: "malicious",
      score: 90,
      sources: ["urlhaus"],
      tags: ["hosting", "malware_download"],
      firstSeen: "2026-10-30T11:02:33.000Z",
      detail: "URLhaus: malware_download URL, online, added 2026-10-30; tags hosting, elf, mozi",
    });
    expect(await intel.lookup({ type: "url", value: "http://evil.test/dl/invoice.zip" })).toMatchObject({
      verdict: "malicious",
      score: 70,
      tags: ["malware_download"],
      detail:
        "URLhaus: malware_download URL, offline, added 2026-10-01; tags zip, AgentTesla; payload AgentTesla; Spamhaus DBL phishing_domain",
    });
  });

  it("maps a host: DBL listing, URLs online or past, and an abused legitimate site", async () => {
    fake = await startUrlhausFake();
    const { intel } = adapter(fake);
    expect(await intel.lookup({ type: "domain", value: "evil.test" })).toEqual({
      observable: { type: "domain", value: "evil.test" },
      verdict: "malicious",
      score: 80,
      sources: ["urlhaus"],
      tags: ["phishing"],
      firstSeen: "2026-10-01T08:00:00.000Z",
      detail: "URLhaus: 1 malware URLs (0 online), first seen 2026-10-01; Spamhaus DBL phishing_domain",
    });
    expect(await intel.lookup({ type: "domain", value: "shop.example.org" })).toMatchObject({
      verdict: "suspicious",
      score: 60,
      tags: ["compromised", "malware"],
      detail:
        "URLhaus: 1 malware URLs (0 online), first seen 2026-08-12; Spamhaus DBL abused_legit_malware; SURBL listed",
    });
  });

  it("maps a payload by MD5 or SHA-256 to malicious with its family in the detail", async () => {
    fake = await startUrlhausFake();
    const { intel } = adapter(fake);
    const verdict = await intel.lookup({ type: "file_hash", value: "c".repeat(64) });
    expect(verdict).toMatchObject({
      verdict: "malicious",
      score: 90,
      tags: ["malware"],
      firstSeen: "2026-10-01T08:01:12.000Z",
      detail:
        "URLhaus: payload zip, signature AgentTesla; served by 1 URLs; VirusTotal 31 / 68; first seen 2026-10-01",
    });
  });

  it("answers no_results and invalid_* unknown", async () => {
    fake = await startUrlhausFake();
    const { intel } = adapter(fake);
    expect(await intel.lookup({ type: "file_hash", value: "d".repeat(32) })).toMatchObject({
      verdict: "unknown",
      detail: "URLhaus: never seen",
    });
    fake.inject({ body: { query_status: "invalid_url" } });
    expect(await intel.lookup({ type: "url", value: "http://[::1" + "]/" })).toMatchObject({
      verdict: "unknown",
      detail: "URLhaus: refused the value (invalid_url)",
    });
  });
});

describe("urlhaus intel: errors", () => {
  it("turns unknown_auth_key into AUTH_FAILED on HTTP 401, 403 and even 200", async () => {
    for (const authFailureStatus of [401, 403, 200] as const) {
      fake = await startUrlhausFake({ authFailureStatus });
      const error = await failure(
        adapter(fake, { URLHAUS_AUTH_KEY: "wrong" }).intel.lookup({ type: "domain", value: "evil.test" }),
      );
      expect(error.code).toBe("AUTH_FAILED");
      expect(error.message).toMatch(/^urlhaus: POST \/v1\/host\/: (HTTP 40[13] )?unknown_auth_key/);
      await fake.close();
    }
    fake = await startUrlhausFake();
    const missing = await failure(adapter(fake, {}).intel.lookup({ type: "domain", value: "evil.test" }));
    expect(missing.message).toBe("urlhaus: no credentials: set URLHAUS_AUTH_KEY in the environment");
  });

  it("fails loudly on an unexpected query_status or a drifted answer", async () => {
    fake = await startUrlhausFake();
    const { intel } = adapter(fake);
    fake.inject({ body: { query_status: "http_post_expected" } });
    const redirected = await failure(intel.lookup({ type: "domain", value: "evil.test" }));
    expect([redirected.code, redirected.message]).toEqual([
      "BAD_RESPONSE",
      "urlhaus: POST /v1/host/: unexpected query_status http_post_expected",
    ]);
    fake.inject({ body: { query_status: "ok", urls: "none" } });
    const drifted = await failure(intel.lookup({ type: "domain", value: "evil.test" }));
    expect([drifted.code, drifted.message]).toEqual([
      "BAD_RESPONSE",
      "urlhaus: POST /v1/host/: unexpected answer at urls: Invalid input: expected array, received string",
    ]);
    fake.inject({ body: { ok: true } });
    expect((await failure(intel.lookup({ type: "domain", value: "evil.test" }))).code).toBe("BAD_RESPONSE");
  });

  it("retries a throttle or an outage within the budget and gives up past it", async () => {
    fake = await startUrlhausFake();
    const { intel, waits } = adapter(fake);
    fake.inject({ status: 429, headers: { "retry-after": "1" }, body: "slow down" });
    fake.inject({ status: 502, body: "<html>bad gateway</html>" });
    expect((await intel.lookup({ type: "domain", value: "evil.test" })).verdict).toBe("malicious");
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(1000);
    fake.inject({ status: 429, headers: { "retry-after": "3600" }, body: "" });
    const throttled = await failure(intel.lookup({ type: "domain", value: "evil.test" }));
    expect([throttled.code, throttled.retryAfterMs]).toEqual(["RATE_LIMITED", 3_600_000]);
    expect(waits).toHaveLength(2);
  });
});
