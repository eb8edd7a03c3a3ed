import { afterEach, describe, expect, it } from "vitest";
import { describeIntelContract } from "../../contracts/intel.contract.ts";
import { isToolError, type ToolError } from "../../../core/errors.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { recordingSleep } from "../../testing/fake-http.ts";
import { intelVerdictSchema } from "../../../core/domain.ts";
import { type ThreatIntel } from "../../../core/ports.ts";
import { EICAR_SHA256, virustotalVendor } from "./index.ts";
import { urlId, VIRUSTOTAL_COVERS } from "./intel.ts";
import {
  quotaExceeded,
  startVirusTotalFake,
  tooManyRequests,
  transientError,
  type VtFake,
} from "./testing/fake.ts";

const NOW = new Date("2026-11-03T10:00:00Z");

function adapter(fake: VtFake, env: Record<string, string | undefined> = { VT_API_KEY: fake.apiKey }) {
  const sleeper = recordingSleep();
  const instance = virustotalVendor.create(virustotalVendor.configSchema.parse({ baseUrl: fake.baseUrl }), {
    env,
    now: () => NOW,
    http: { sleep: sleeper.sleep },
  });
  const intel: ThreatIntel = instance.intel ?? expect.unreachable("virustotal serves intel");
  return { instance, intel, waits: sleeper.waits };
}

describeIntelContract(
  "virustotal",
  async () => {
    const fake = await startVirusTotalFake();
    return { port: adapter(fake).intel, fixture: FIXTURE, teardown: () => fake.close() };
  },
  { covers: VIRUSTOTAL_COVERS },
);

let fake: VtFake;
afterEach(async () => fake?.close());

const failure = (promise: Promise<unknown>): Promise<ToolError> =>
  promise.then(
    () => expect.unreachable("expected a failure"),
    (e: unknown) => (isToolError(e) ? e : Promise.reject(e)),
  );

describe("virustotal intel: requests", () => {
  it("sends the key in x-apikey and asks the object path of each observable type", async () => {
    fake = await startVirusTotalFake();
    const { intel } = adapter(fake);
    await intel.lookup({ type: "ip", value: "45.1.2.3" });
    await intel.lookup({ type: "domain", value: "EVIL.Test." });
    await intel.lookup({ type: "url", value: "https://evil.test/login?a=1&b=ü" });
    await intel.lookup({ type: "file_hash", value: EICAR_SHA256.toUpperCase() });
    expect(fake.requests.map((r) => r.path)).toEqual([
      "/api/v3/ip_addresses/45.1.2.3",
      "/api/v3/domains/evil.test",
      `/api/v3/urls/${urlId("https://evil.test/login?a=1&b=ü")}`,
      `/api/v3/files/${EICAR_SHA256}`,
    ]);
    expect(urlId("https://evil.test/login?a=1&b=ü")).not.toMatch(/[=+/]/);
    expect(fake.requests.every((r) => r.headers["x-apikey"] === fake.apiKey && r.method === "GET")).toBe(
      true,
    );
  });

  it("keeps hostile values inside one path segment: a URL's quotes, backslashes, pipes and newlines are base64url", async () => {
    fake = await startVirusTotalFake();
    const { intel } = adapter(fake);
    const hostile = 'https://evil.test/a"b\\c|d\n/../../users/me?x=1#y';
    expect((await intel.lookup({ type: "url", value: hostile })).verdict).toBe("unknown");
    expect((await intel.lookup({ type: "domain", value: 'evil.test"\nX-Apikey: stolen' })).verdict).toBe(
      "unknown",
    );
    expect(fake.requests.map((r) => r.path)).toEqual([`/api/v3/urls/${urlId(hostile)}`]);
    expect(fake.requests[0]?.path).toMatch(/^\/api\/v3\/urls\/[A-Za-z0-9_-]+$/);
  });

  it("answers unknown without a request for types it does not cover and values that are not their type", async () => {
    fake = await startVirusTotalFake();
    const { intel } = adapter(fake);
    const answers = await Promise.all([
      intel.lookup({ type: "email", value: "ap@evil.test" }),
      intel.lookup({ type: "ip", value: "evil.test" }),
      intel.lookup({ type: "domain", value: "45.1.2.3" }),
      intel.lookup({ type: "domain", value: "evil.test/../../users/me" }),
      intel.lookup({ type: "file_hash", value: "not-a-hash" }),
    ]);
    expect(answers.map((a) => a.verdict)).toEqual(["unknown", "unknown", "unknown", "unknown", "unknown"]);
    expect(answers[0]).toMatchObject({
      observable: { type: "email", value: "ap@evil.test" },
      detail: "VirusTotal: VirusTotal has no email lookups",
    });
    expect(fake.requests).toHaveLength(0);
  });

  it("reads a file by md5 or sha1 too, with its stats, threat categories and first submission", async () => {
    fake = await startVirusTotalFake();
    const { intel } = adapter(fake);
    const verdict = intelVerdictSchema.parse(
      await intel.lookup({ type: "file_hash", value: "44d88612fea8a8f36de82e1278abb02f" }),
    );
    expect(verdict).toEqual({
      observable: { type: "file_hash", value: "44d88612fea8a8f36de82e1278abb02f" },
      verdict: "malicious",
      score: 100,
      sources: ["virustotal"],
      tags: ["virus"],
      firstSeen: "2006-05-22T12:42:02.000Z",
      detail: "VirusTotal: 62/75 engines malicious, 0 suspicious, 0 harmless; threat label virus.eicar/test",
    });
  });

  it("maps a lightly flagged URL to suspicious and a clean domain to harmless", async () => {
    fake = await startVirusTotalFake();
    const { intel } = adapter(fake);
    expect(await intel.lookup({ type: "url", value: "https://files.example.net/payload.exe" })).toMatchObject(
      {
        verdict: "suspicious",
        score: 40,
        firstSeen: "2026-10-30T12:00:00.000Z",
      },
    );
    expect(await intel.lookup({ type: "domain", value: "example.com" })).toMatchObject({
      verdict: "harmless",
      score: 0,
      tags: [],
    });
    expect((await intel.lookup({ type: "ip", value: "45.1.2.3" })).detail).toBe(
      "VirusTotal: 9/89 engines malicious, 0 suspicious, 60 harmless; community reputation -12; AS Example Hosting SRL (RO); last analysed 2026-11-02",
    );
  });

  it("treats 404 NotFoundError and 400 InvalidArgumentError as unknown", async () => {
    fake = await startVirusTotalFake();
    const { intel } = adapter(fake);
    expect(await intel.lookup({ type: "file_hash", value: "b".repeat(64) })).toMatchObject({
      verdict: "unknown",
      detail: "VirusTotal: never seen",
    });
    fake.inject({ status: 400, body: { error: { code: "NotAvailableYet", message: "try later" } } });
    const notYet = await intel.lookup({ type: "domain", value: "fresh.example" });
    expect(notYet.verdict).toBe("unknown");
    expect(notYet.detail).toMatch(/NotAvailableYet: try later/);
  });
});

describe("virustotal intel: quota and errors", () => {
  it("fails fast on QuotaExceededError with RATE_LIMITED and a one-minute hint, without waiting", async () => {
    fake = await startVirusTotalFake();
    const { intel, waits } = adapter(fake);
    fake.inject(quotaExceeded);
    const error = await failure(intel.lookup({ type: "ip", value: "45.1.2.3" }));
    expect([error.code, error.retryAfterMs, error.status]).toEqual(["RATE_LIMITED", 60_000, 429]);
    expect(error.message).toBe(
      "virustotal: GET /api/v3/ip_addresses/45.1.2.3: HTTP 429 QuotaExceededError: Quota exceeded",
    );
    expect(waits).toEqual([]);
    expect(fake.requests).toHaveLength(1);
  });

  it("retries a burst throttle and a transient outage within the budget", async () => {
    fake = await startVirusTotalFake();
    const { intel, waits } = adapter(fake);
    fake.inject(tooManyRequests);
    fake.inject(transientError);
    expect((await intel.lookup({ type: "ip", value: "45.1.2.3" })).verdict).toBe("malicious");
    expect(fake.requests).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });

  it("gives up with RATE_LIMITED once the retries are spent", async () => {
    fake = await startVirusTotalFake();
    const { intel, waits } = adapter(fake);
    fake.inject(tooManyRequests, { times: 10 });
    expect((await failure(intel.lookup({ type: "ip", value: "45.1.2.3" }))).code).toBe("RATE_LIMITED");
    expect(fake.requests).toHaveLength(4);
    expect(waits).toHaveLength(3);
  });

  it("reports a wrong key, a missing key and a forbidden account by code", async () => {
    fake = await startVirusTotalFake();
    const wrong = await failure(
      adapter(fake, { VT_API_KEY: "nope" }).intel.lookup({ type: "ip", value: "1.1.1.1" }),
    );
    expect([wrong.code, wrong.message]).toEqual([
      "AUTH_FAILED",
      "virustotal: GET /api/v3/ip_addresses/1.1.1.1: HTTP 401 WrongCredentialsError: Wrong API key",
    ]);
    const missing = await failure(adapter(fake, {}).intel.lookup({ type: "ip", value: "1.1.1.1" }));
    expect([missing.code, missing.message]).toEqual([
      "AUTH_FAILED",
      "virustotal: no credentials: set VT_API_KEY in the environment",
    ]);
    await fake.close();
    fake = await startVirusTotalFake({ forbidden: true });
    expect((await failure(adapter(fake).intel.lookup({ type: "ip", value: "1.1.1.1" }))).code).toBe(
      "FORBIDDEN",
    );
  });
});
