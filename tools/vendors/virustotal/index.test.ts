import { afterEach, describe, expect, it } from "vitest";
import { recordingSleep } from "../../testing/fake-http.ts";
import { EICAR_SHA256, virustotalVendor } from "./index.ts";
import { quotaExceeded, startVirusTotalFake, type VtFake } from "./testing/fake.ts";

let fake: VtFake;
afterEach(async () => fake?.close());

function probe(baseUrl: string, env: Record<string, string | undefined>) {
  const config = virustotalVendor.configSchema.parse({ baseUrl });
  return virustotalVendor
    .create(config, {
      env,
      now: () => new Date(),
      http: { sleep: recordingSleep().sleep, retry: { retries: 0 } },
    })
    .probe();
}

describe("virustotal vendor module", () => {
  it("parses a strict config with defaults and refuses unknown keys or secrets in the file", () => {
    expect(virustotalVendor.configSchema.parse({})).toEqual({
      baseUrl: "https://www.virustotal.com/api/v3",
      apiKeyEnv: "VT_API_KEY",
      maliciousEngines: 3,
    });
    expect(virustotalVendor.configSchema.safeParse({ apiKey: "secret" }).success).toBe(false);
    expect(virustotalVendor.configSchema.safeParse({ apiKeyEnv: "vt key" }).success).toBe(false);
    expect(virustotalVendor.configSchema.safeParse({ maliciousEngines: 0 }).success).toBe(false);
    expect(virustotalVendor.provides).toEqual(["intel"]);
  });

  it("probes with one read of the EICAR file", async () => {
    fake = await startVirusTotalFake();
    expect(await probe(fake.baseUrl, { VT_API_KEY: fake.apiKey })).toEqual([
      { check: "intel: look up the EICAR test file", ok: true, detail: "authenticated; EICAR is malicious" },
    ]);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /api/v3/files/${EICAR_SHA256}`]);
  });

  it("reports refused auth, a missing key, a forbidden account, a spent quota and a dead server as one line each", async () => {
    fake = await startVirusTotalFake();
    const [refused] = await probe(fake.baseUrl, { VT_API_KEY: "wrong" });
    expect(refused).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/HTTP 401 WrongCredentialsError/),
    });
    const [missing] = await probe(fake.baseUrl, {});
    expect(missing?.detail).toBe("virustotal: no credentials: set VT_API_KEY in the environment");
    fake.inject(quotaExceeded);
    const [quota] = await probe(fake.baseUrl, { VT_API_KEY: fake.apiKey });
    expect(quota).toMatchObject({ ok: false, detail: expect.stringMatching(/HTTP 429 QuotaExceededError/) });
    await fake.close();
    fake = await startVirusTotalFake({ forbidden: true });
    const [forbidden] = await probe(fake.baseUrl, { VT_API_KEY: fake.apiKey });
    expect(forbidden).toMatchObject({ ok: false, detail: expect.stringMatching(/HTTP 403 ForbiddenError/) });
    const [wrongBase] = await probe(fake.url, { VT_API_KEY: fake.apiKey });
    expect(wrongBase).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/HTTP 404 NotFound: no route/),
    });
    const deadUrl = fake.baseUrl;
    await fake.close();
    const [down] = await probe(deadUrl, { VT_API_KEY: "k" });
    expect(down).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/cannot reach http:\/\/127\.0\.0\.1/),
    });
    for (const line of [refused, missing, quota, forbidden, down]) expect(line?.detail).not.toMatch(/\n/);
  });
});
