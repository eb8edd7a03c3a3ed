import { afterEach, describe, expect, it } from "vitest";
import { recordingSleep } from "../../testing/fake-http.ts";
import { urlhausVendor } from "./index.ts";
import { startUrlhausFake, type UrlhausFake } from "./testing/fake.ts";

let fake: UrlhausFake;
afterEach(async () => fake?.close());

function probe(baseUrl: string, env: Record<string, string | undefined>) {
  const config = urlhausVendor.configSchema.parse({ baseUrl });
  return urlhausVendor
    .create(config, {
      env,
      now: () => new Date(),
      http: { sleep: recordingSleep().sleep, retry: { retries: 0 } },
    })
    .probe();
}

describe("urlhaus vendor module", () => {
  it("parses a strict config with defaults", () => {
    expect(urlhausVendor.configSchema.parse({})).toEqual({
      baseUrl: "https://urlhaus-api.abuse.ch/v1",
      authKeyEnv: "URLHAUS_AUTH_KEY",
    });
    expect(urlhausVendor.configSchema.safeParse({ authKey: "x" }).success).toBe(false);
    expect(urlhausVendor.configSchema.safeParse({ baseUrl: "not a url" }).success).toBe(false);
    expect(urlhausVendor.provides).toEqual(["intel"]);
  });

  it("probes with one host lookup of example.com", async () => {
    fake = await startUrlhausFake();
    expect(await probe(fake.baseUrl, { URLHAUS_AUTH_KEY: fake.authKey })).toEqual([
      { check: "intel: look up host example.com", ok: true, detail: "authenticated; example.com is unknown" },
    ]);
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.body}`)).toEqual([
      "POST /v1/host/ host=example.com",
    ]);
  });

  it("reports refused auth (on 200 too), a missing key, a 403 and a dead server as one line each", async () => {
    fake = await startUrlhausFake({ authFailureStatus: 200 });
    const [refused] = await probe(fake.baseUrl, { URLHAUS_AUTH_KEY: "wrong" });
    expect(refused).toMatchObject({
      ok: false,
      detail: "urlhaus: POST /v1/host/: unknown_auth_key: the key in URLHAUS_AUTH_KEY is not valid",
    });
    const [missing] = await probe(fake.baseUrl, {});
    expect(missing?.detail).toBe("urlhaus: no credentials: set URLHAUS_AUTH_KEY in the environment");
    fake.inject({ status: 403, body: "<html>Forbidden</html>" });
    const [forbidden] = await probe(fake.baseUrl, { URLHAUS_AUTH_KEY: fake.authKey });
    expect(forbidden).toMatchObject({ ok: false, detail: expect.stringMatching(/HTTP 403 Forbidden/) });
    const deadUrl = fake.baseUrl;
    await fake.close();
    const [down] = await probe(deadUrl, { URLHAUS_AUTH_KEY: "k" });
    expect(down).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/cannot reach http:\/\/127\.0\.0\.1/),
    });
    for (const line of [refused, missing, forbidden, down]) expect(line?.detail).not.toMatch(/\n/);
  });
});
