import { afterEach, describe, expect, it } from "vitest";
import { formOf, toolErrorOf as failure } from "../../testing/fake-http.ts";
import { classifySplunk, splunkErrorText } from "./client.ts";
import { splunkConfigSchema, splunkVendor } from "./index.ts";
import { portOf, requestsTo, startHarness, type Harness } from "./testing/harness.ts";

let harness: Harness | undefined;
afterEach(async () => harness?.close());
const start = async (options: Parameters<typeof startHarness>[0] = {}) =>
  (harness = await startHarness(options));

describe("the vendor module", () => {
  it("serves alerts and siem under the name splunk", () => {
    expect(splunkVendor.name).toBe("splunk");
    expect(splunkVendor.provides).toEqual(["alerts", "siem"]);
  });

  it("parses a minimal block with defaults and rejects unknown keys and secrets in the file", () => {
    expect(splunkConfigSchema.parse({ baseUrl: "https://splunk.corp:8089" })).toMatchObject({
      tokenEnv: "SPLUNK_TOKEN",
      passwordEnv: "SPLUNK_PASSWORD",
      mode: "job",
      pageSize: 1000,
      alerts: { search: "index=notable" },
    });
    expect(splunkConfigSchema.safeParse({ baseUrl: "https://s:8089", token: "abc" }).success).toBe(false);
    expect(splunkConfigSchema.safeParse({ baseUrl: "https://s:8089", tokenEnv: "not an env" }).success).toBe(
      false,
    );
    expect(splunkConfigSchema.safeParse({}).success).toBe(false);
  });
});

describe("authentication", () => {
  it("fails AUTH_FAILED naming the env var when the token is missing, before any request", async () => {
    const h = await start({ env: {}, config: { tokenEnv: "SPLUNK_SOC_TOKEN" } });
    const error = await failure(portOf(h, "alerts").getAlert("FX-1"));
    expect(error.code).toBe("AUTH_FAILED");
    expect(error.message).toBe("splunk: no credentials: set SPLUNK_SOC_TOKEN in the environment");
    expect(h.fake.requests).toEqual([]);
  });

  it("reports a refused token with Splunk's text", async () => {
    const h = await start({ env: { SPLUNK_TOKEN: "wrong" } });
    const error = await failure(portOf(h, "alerts").getAlert("FX-1"));
    expect(error.code).toBe("AUTH_FAILED");
    expect(error.message).toBe(
      "splunk: POST /services/search/jobs: HTTP 401 call not properly authenticated",
    );
  });

  it("logs in with a password once, sends the session key, and logs in again after it expires", async () => {
    const h = await start({ config: { username: "triage" }, env: { SPLUNK_PASSWORD: "s3cret" } });
    const alerts = portOf(h, "alerts");
    await alerts.getAlert("FX-1");
    await alerts.getAlert("FX-2");
    const logins = () => requestsTo(h.fake, "POST", /\/services\/auth\/login$/);
    expect(logins()).toHaveLength(1);
    expect(Object.fromEntries(formOf(logins()[0] ?? ({ body: "" } as never)))).toEqual({
      username: "triage",
      password: "s3cret",
      output_mode: "json",
    });
    const searches = h.fake.requests.filter((r) => !r.path.endsWith("/login"));
    expect(new Set(searches.map((r) => r.headers.authorization))).toEqual(new Set(["Splunk session-1"]));
    h.fake.expireSessions();
    expect((await alerts.getAlert("FX-1")).id).toBe("FX-1");
    expect(logins()).toHaveLength(2);
  });

  it("reads the XML login answer too, and logs in again when Splunk refuses a key", async () => {
    const h = await start({ config: { username: "triage" }, env: { SPLUNK_PASSWORD: "s3cret" } });
    h.fake.inject(
      { body: "<response>\n  <sessionKey>xml-key</sessionKey>\n</response>" },
      { when: (r) => r.path.endsWith("/login") },
    );
    // The fake never issued xml-key: the first search is refused, the client logs in again and retries.
    expect((await portOf(h, "alerts").getAlert("FX-1")).id).toBe("FX-1");
    const headers = h.fake.requests
      .filter((r) => r.path.endsWith("/search/jobs"))
      .map((r) => r.headers.authorization);
    expect(headers).toEqual(["Splunk xml-key", "Splunk session-1"]);
  });

  it("reports a wrong password as a refused login", async () => {
    const h = await start({ config: { username: "triage" }, env: { SPLUNK_PASSWORD: "nope" } });
    const error = await failure(
      portOf(h, "siem").searchEvents({
        dataset: "dns",
        where: [],
        from: "2026-11-03T00:00:00Z",
        to: "2026-11-03T01:00:00Z",
        limit: 1,
      }),
    );
    expect(error.code).toBe("AUTH_FAILED");
    expect(error.message).toBe("splunk: POST /services/auth/login: login refused: Login failed");
  });

  it("reads Splunk's error bodies (JSON or XML) and knows its quota 503", () => {
    expect(splunkErrorText('{"messages":[{"type":"FATAL","text":"a"},{"type":"WARN","text":"b"}]}')).toBe(
      "a; b",
    );
    expect(
      splunkErrorText('<response><messages><msg type="ERROR">Unknown sid.</msg></messages></response>'),
    ).toBe("Unknown sid.");
    expect(splunkErrorText("<html></html>")).toBeUndefined();
    expect(
      classifySplunk(503, "The maximum number of concurrent historical searches … has been reached"),
    ).toEqual({ code: "RATE_LIMITED", retryable: true });
    expect(classifySplunk(503, "Service Unavailable")).toBeUndefined();
  });
});

describe("probes", () => {
  it("checks the credentials, then one oneshot search per port, changing nothing", async () => {
    const h = await start();
    expect(await h.splunk.probe()).toEqual([
      { check: "splunk: authenticate", ok: true, detail: "signed in as triage (roles: user, ess_analyst)" },
      {
        check: "siem: search sign-in events",
        ok: true,
        detail: "search allowed; sign-in events found in the last 24 h",
      },
      {
        check: "alerts: read notable events",
        ok: true,
        detail: "notables readable; some in the last 7 days",
      },
    ]);
    const oneshots = requestsTo(h.fake, "POST", /\/search\/jobs$/).map((r) => Object.fromEntries(formOf(r)));
    // `head 1` stops at the first event found; no job is left behind to poll or page.
    expect(oneshots.map((f) => [f.exec_mode, f.count, f.search, f.earliest_time])).toEqual([
      ["oneshot", "1", 'search index="*" tag="authentication" | head 1', "1793620800.000"],
      ["oneshot", "1", "search index=notable | head 1", "1793102400.000"],
    ]);
    expect(h.fake.requests.map((r) => r.method)).toEqual(["GET", "POST", "POST"]);
  });

  it("says authentication was refused", async () => {
    const h = await start({ fake: { refuseAuth: true } });
    const lines = await h.splunk.probe();
    expect(lines.map((l) => l.ok)).toEqual([false, false, false]);
    expect(lines[0]?.detail).toBe(
      "splunk: GET /services/authentication/current-context: HTTP 401 call not properly authenticated",
    );
  });

  it("names the capability a role lacks", async () => {
    const h = await start({ fake: { forbidSearch: true } });
    const [auth, siem, alerts] = await h.splunk.probe();
    expect(auth?.ok).toBe(true);
    expect(siem).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/HTTP 403 .*\(the role needs the search capability\)$/),
    });
    expect(alerts?.detail).toMatch(/read access to the notable index\)$/);
  });

  it("says the server cannot be reached", async () => {
    const h = await start({ retry: { retries: 0 } });
    await h.fake.close();
    const lines = await h.splunk.probe();
    expect(lines.every((l) => !l.ok && /cannot reach http:\/\/127\.0\.0\.1:\d+/.test(l.detail))).toBe(true);
  });
});
