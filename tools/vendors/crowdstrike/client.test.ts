import { afterEach, describe, expect, it } from "vitest";
import { formOf, toolErrorOf as failure } from "../../testing/fake-http.ts";
import { falconErrorText, falconRetryAfterMs } from "./client.ts";
import type { FalconFake } from "./testing/fake.ts";
import { FAKE_ENV, falconUnderTest } from "./testing/harness.ts";

let fake: FalconFake | undefined;
afterEach(async () => fake?.close());

const epochIn = (seconds: number) => String(Math.ceil(Date.now() / 1000) + seconds);

describe("Falcon client", () => {
  it("posts the client credentials (and member CID) once, reuses the token, and sends it as a bearer", async () => {
    const t = await falconUnderTest({}, { memberCid: "child-cid-1" });
    fake = t.fake;
    await t.instance.edr?.getHost("WS-01");
    await t.instance.edr?.getHost("WS-02");
    const tokenRequests = t.fake.requests.filter((r) => r.path === "/oauth2/token");
    expect(tokenRequests).toHaveLength(1);
    const form = formOf(tokenRequests[0]!);
    expect([form.get("client_id"), form.get("client_secret"), form.get("member_cid")]).toEqual([
      FAKE_ENV.FALCON_CLIENT_ID,
      FAKE_ENV.FALCON_CLIENT_SECRET,
      "child-cid-1",
    ]);
    const api = t.fake.requests.filter((r) => r.path !== "/oauth2/token");
    expect(api.length).toBeGreaterThan(2);
    expect(new Set(api.map((r) => r.headers.authorization))).toEqual(new Set(["Bearer falcon-token-1"]));
  });

  it("fetches a new token once when the API answers 401, then carries on", async () => {
    const t = await falconUnderTest();
    fake = t.fake;
    await t.instance.edr?.getHost("WS-01");
    t.fake.revokeTokens();
    expect((await t.instance.edr?.getHost("WS-01"))?.id).toBe("h-1");
    expect(t.fake.issued()).toBe(2);
  });

  it("reports a refused secret (Falcon answers 403 at the token endpoint) as AUTH_FAILED", async () => {
    const t = await falconUnderTest({ refuseAuth: true });
    fake = t.fake;
    const error = await failure(t.instance.alerts!.listAlerts({}));
    expect(error.code).toBe("AUTH_FAILED");
    expect(error.message).toBe(
      "crowdstrike: POST /oauth2/token: token refused: access denied, authorization failed",
    );
  });

  it("names the missing environment variable when there are no credentials", async () => {
    const t = await falconUnderTest({}, { clientSecretEnv: "MY_FALCON_SECRET" });
    fake = t.fake;
    const error = await failure(t.instance.edr!.getHost("WS-01"));
    expect([error.code, error.message]).toEqual([
      "AUTH_FAILED",
      "crowdstrike: no credentials: set MY_FALCON_SECRET in the environment",
    ]);
    expect(t.fake.requests).toHaveLength(0);
  });

  it("waits out a 429 until the epoch second in X-RateLimit-RetryAfter, then retries", async () => {
    const t = await falconUnderTest();
    fake = t.fake;
    t.fake.inject(
      {
        status: 429,
        headers: { "x-ratelimit-retryafter": epochIn(3) },
        body: { errors: [{ code: 429, message: "API rate limit exceeded." }] },
      },
      { when: (r) => r.path === "/devices/queries/devices/v1" },
    );
    expect((await t.instance.edr?.getHost("ws-01"))?.id).toBe("h-1");
    expect(t.waits).toHaveLength(1);
    expect(t.waits[0]).toBeGreaterThanOrEqual(2_000);
    expect(t.waits[0]).toBeLessThanOrEqual(4_000);
  });

  it("gives up with RATE_LIMITED, without waiting, when the window reopens past the retry budget", async () => {
    const t = await falconUnderTest();
    fake = t.fake;
    t.fake.inject(
      {
        status: 429,
        headers: { "x-ratelimit-retryafter": epochIn(3600) },
        body: { errors: [{ code: 429, message: "API rate limit exceeded." }] },
      },
      { when: (r) => r.path === "/alerts/queries/alerts/v2" },
    );
    const error = await failure(t.instance.alerts!.listAlerts({}));
    expect(error.code).toBe("RATE_LIMITED");
    expect(error.message).toMatch(/HTTP 429 API rate limit exceeded\./);
    expect(error.retryAfterMs).toBeGreaterThan(3_500_000);
    expect(t.waits).toEqual([]);
  });

  it("reads the throttle hint as epoch seconds, or as a delta when too small to be one", () => {
    const response = (value: string) => new Response(null, { headers: { "x-ratelimit-retryafter": value } });
    expect(falconRetryAfterMs(response("1700000010"), "", 1_700_000_000_000)).toBe(10_000);
    expect(falconRetryAfterMs(response("1699999990"), "", 1_700_000_000_000)).toBe(0);
    expect(falconRetryAfterMs(response("5"), "", 1_700_000_000_000)).toBe(5_000);
    expect(falconRetryAfterMs(new Response(null), "", 0)).toBeUndefined();
  });

  it("takes the error text from errors[0].message", () => {
    expect(
      falconErrorText('{"meta":{},"errors":[{"code":403,"message":"access denied"}],"resources":[]}'),
    ).toBe("access denied");
    expect(falconErrorText('{"errors":[]}')).toBeUndefined();
    expect(falconErrorText("<html>")).toBeUndefined();
  });
});
