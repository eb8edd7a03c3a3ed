import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTokenAuth, staticAuth } from "./auth.ts";
import { isToolError, ToolError } from "../core/errors.ts";
import { createHttpClient, orNull, type HttpClientOptions } from "./http.ts";
import {
  formOf,
  recordingSleep,
  startFakeServer,
  type FakeServer,
  toolErrorOf as failure,
} from "./testing/fake-http.ts";

let server: FakeServer;
afterEach(async () => server?.close());

const okSchema = z.object({ ok: z.boolean() });

async function client(
  routes: Parameters<typeof startFakeServer>[0],
  options: Partial<HttpClientOptions> = {},
) {
  server = await startFakeServer(routes);
  const sleeper = recordingSleep();
  return {
    http: createHttpClient({ vendor: "acme", baseUrl: server.url, sleep: sleeper.sleep, ...options }),
    waits: sleeper.waits,
  };
}

describe("createHttpClient", () => {
  it("sends query, headers and JSON bodies, and parses the answer with the schema", async () => {
    const { http } = await client(
      [{ method: "POST", path: "/v1/items/:id", handler: (r) => ({ body: { ok: r.params.id === "a b" } }) }],
      { auth: staticAuth({ "x-apikey": "k" }) },
    );
    const data = await http.json({
      method: "POST",
      path: "/v1/items/a%20b",
      query: { q: "x y", ids: ["1", "2"], skip: undefined },
      json: { hello: 1 },
      schema: okSchema,
    });
    expect(data).toEqual({ ok: true });
    const sent = server.requests[0];
    expect(sent?.query.get("q")).toBe("x y");
    expect(sent?.query.getAll("ids")).toEqual(["1", "2"]);
    expect(sent?.query.has("skip")).toBe(false);
    expect(sent?.headers["x-apikey"]).toBe("k");
    expect(sent?.headers["content-type"]).toBe("application/json");
    expect(sent?.body).toBe('{"hello":1}');
  });

  it("sends forms with repeated fields and follows absolute next links", async () => {
    const { http } = await client([{ method: "*", path: "/*", handler: () => ({ body: { ok: true } }) }]);
    await http.json({ method: "POST", path: "/f", form: { a: "1", b: ["x", "y"] }, schema: okSchema });
    expect(formOf(server.requests[0]!).getAll("b")).toEqual(["x", "y"]);
    await http.json({ path: `${server.url}/next?$skiptoken=abc`, schema: okSchema });
    expect(server.requests[1]?.query.get("$skiptoken")).toBe("abc");
  });

  it("refuses to follow a link to another origin, so a forged next link cannot take the token", async () => {
    const { http } = await client([{ method: "*", path: "/*", handler: () => ({ body: { ok: true } }) }], {
      auth: staticAuth({ authorization: "Bearer secret" }),
    });
    const error = await failure(
      http.json({ path: "https://attacker.example/next?$skiptoken=x", schema: okSchema }),
    );
    expect([error.code, error.message]).toEqual([
      "BAD_RESPONSE",
      "acme: GET /next: refused to follow a link to another origin (https://attacker.example)",
    ]);
    expect(server.requests).toHaveLength(0);
  });

  it("maps statuses to codes with the vendor's own message on one line", async () => {
    const { http } = await client([
      {
        method: "GET",
        path: "/401",
        handler: () => ({ status: 401, body: { error: { message: "bad\nkey" } } }),
      },
      {
        method: "GET",
        path: "/403",
        handler: () => ({ status: 403, body: { errors: [{ message: "denied" }] } }),
      },
      { method: "GET", path: "/404", handler: () => ({ status: 404, body: { message: "gone" } }) },
      { method: "GET", path: "/400", handler: () => ({ status: 400, body: "plain text" }) },
      {
        method: "GET",
        path: "/kibana",
        handler: () => ({
          status: 400,
          body: { statusCode: 400, error: "Bad Request", message: "bad query" },
        }),
      },
    ]);
    const e401 = await failure(http.json({ path: "/401", schema: okSchema }));
    expect([e401.code, e401.message]).toEqual(["AUTH_FAILED", "acme: GET /401: HTTP 401 bad key"]);
    // The facts travel as fields, so nobody has to take the message apart again.
    expect([e401.vendor, e401.operation, e401.status, e401.vendorMessage, e401.retryable]).toEqual([
      "acme",
      "GET /401",
      401,
      "bad key",
      false,
    ]);
    expect((await failure(http.json({ path: "/403", schema: okSchema }))).code).toBe("FORBIDDEN");
    expect((await failure(http.json({ path: "/404", schema: okSchema }))).code).toBe("NOT_FOUND");
    expect(await orNull(http.json({ path: "/404", schema: okSchema }))).toBeNull();
    const e400 = await failure(http.json({ path: "/400", schema: okSchema }));
    expect([e400.code, e400.status]).toEqual(["BAD_INPUT", 400]);
    const kibana = await failure(http.json({ path: "/kibana", schema: okSchema }));
    expect(kibana.message).toBe("acme: GET /kibana: HTTP 400 bad query");
  });

  it("fails with BAD_RESPONSE when the answer is not JSON or has the wrong shape", async () => {
    const { http } = await client([
      { method: "GET", path: "/html", handler: () => ({ body: "<html>" }) },
      { method: "GET", path: "/shape", handler: () => ({ body: { ok: "yes" } }) },
    ]);
    expect((await failure(http.json({ path: "/html", schema: okSchema }))).code).toBe("BAD_RESPONSE");
    const shape = await failure(http.json({ path: "/shape", schema: okSchema }));
    expect(shape.code).toBe("BAD_RESPONSE");
    expect(shape.message).toMatch(/at ok/);
  });

  it("retries 429 and 5xx, waiting at least what Retry-After asks", async () => {
    const { http, waits } = await client([
      { method: "GET", path: "/x", handler: () => ({ body: { ok: true } }) },
    ]);
    server.inject({
      status: 429,
      headers: { "retry-after": "2" },
      body: { error: { message: "slow down" } },
    });
    server.inject({ status: 503, body: {} });
    expect(await http.json({ path: "/x", schema: okSchema })).toEqual({ ok: true });
    expect(server.requests).toHaveLength(3);
    expect(waits[0]).toBeGreaterThanOrEqual(2000);
    expect(waits).toHaveLength(2);
  });

  it("gives up with RATE_LIMITED when the throttle outlasts the budget, without waiting", async () => {
    const { http, waits } = await client(
      [{ method: "GET", path: "/x", handler: () => ({ body: { ok: true } }) }],
      {
        retry: { budgetMs: 5_000 },
      },
    );
    server.inject({ status: 429, headers: { "retry-after": "29241" }, body: {} });
    const error = await failure(http.json({ path: "/x", schema: okSchema }));
    expect([error.code, error.retryAfterMs]).toEqual(["RATE_LIMITED", 29_241_000]);
    expect(waits).toEqual([]);
  });

  it("stops after the configured retries and does not retry a request marked unsafe to repeat", async () => {
    const { http } = await client([{ method: "*", path: "/x", handler: () => ({ status: 500, body: {} }) }], {
      retry: { retries: 2 },
    });
    expect((await failure(http.json({ path: "/x", schema: okSchema }))).code).toBe("UPSTREAM_ERROR");
    expect(server.requests).toHaveLength(3);
    await failure(http.json({ method: "POST", path: "/x", schema: okSchema, retry: false }));
    expect(server.requests).toHaveLength(4);
  });

  it("uses the vendor's quirks: its throttle hint and its own classification", async () => {
    const { http, waits } = await client(
      [{ method: "GET", path: "/x", handler: () => ({ body: { ok: true } }) }],
      {
        now: () => 1_000_000,
        retryAfterMs: (response, _body, now) => Number(response.headers.get("x-reset")) * 1000 - now,
        classify: (status, body) =>
          status === 503 && body.includes("quota") ? { code: "RATE_LIMITED", retryable: false } : undefined,
        retry: { retries: 0 },
      },
    );
    server.inject({ status: 429, headers: { "x-reset": "1003" }, body: {} });
    const throttled = await failure(http.json({ path: "/x", schema: okSchema }));
    expect(throttled.retryAfterMs).toBe(3000);
    server.inject({ status: 503, body: "search quota reached" });
    const quota = await failure(http.json({ path: "/x", schema: okSchema }));
    expect([quota.code, quota.retryable, quota.vendorMessage]).toEqual([
      "RATE_LIMITED",
      false,
      "search quota reached",
    ]);
    expect(waits).toEqual([]);
  });

  it("decides retryability once, at the answer: the status's, or the vendor's reading of its body", async () => {
    const { http } = await client(
      [
        {
          method: "GET",
          path: "/status/:code",
          handler: (request) => ({ status: Number(request.params.code), body: { message: "no" } }),
        },
        // A 403 whose body is a throttle (Gmail's rateLimitExceeded), and a 503 the vendor calls final.
        {
          method: "GET",
          path: "/slow-down",
          handler: () => ({ status: 403, body: { message: "slow down" } }),
        },
        { method: "GET", path: "/final", handler: () => ({ status: 503, body: { message: "final" } }) },
      ],
      {
        classify: (status, body) =>
          body.includes("slow down")
            ? { code: "RATE_LIMITED", retryable: true }
            : body.includes("final")
              ? { code: "UPSTREAM_ERROR", retryable: false }
              : undefined,
        retry: { retries: 1 },
      },
    );
    const outcome = async (path: string) => {
      const before = server.requests.length;
      const error = await failure(http.json({ path, schema: okSchema }));
      return [error.code, error.retryable, server.requests.length - before];
    };
    expect(await outcome("/status/400")).toEqual(["BAD_INPUT", false, 1]);
    expect(await outcome("/status/403")).toEqual(["FORBIDDEN", false, 1]);
    expect(await outcome("/status/404")).toEqual(["NOT_FOUND", false, 1]);
    expect(await outcome("/status/408")).toEqual(["TIMEOUT", true, 2]);
    expect(await outcome("/status/409")).toEqual(["UPSTREAM_ERROR", true, 2]);
    expect(await outcome("/status/429")).toEqual(["RATE_LIMITED", true, 2]);
    expect(await outcome("/status/502")).toEqual(["UPSTREAM_ERROR", true, 2]);
    expect(await outcome("/slow-down")).toEqual(["RATE_LIMITED", true, 2]);
    expect(await outcome("/final")).toEqual(["UPSTREAM_ERROR", false, 1]);
  });

  it("times out a slow answer with TIMEOUT, and reports an unreachable server as UPSTREAM_ERROR", async () => {
    const { http } = await client(
      [
        {
          method: "GET",
          path: "/slow",
          handler: () => new Promise((r) => setTimeout(() => r({ body: { ok: true } }), 500)),
        },
      ],
      { timeoutMs: 50, retry: { retries: 0 } },
    );
    expect((await failure(http.json({ path: "/slow", schema: okSchema }))).code).toBe("TIMEOUT");
    const dead = createHttpClient({ vendor: "acme", baseUrl: "http://127.0.0.1:1", retry: { retries: 0 } });
    const unreachable = await failure(dead.json({ path: "/x", schema: okSchema }));
    expect([unreachable.code, unreachable.retryable]).toEqual(["UPSTREAM_ERROR", true]);
    expect(unreachable.message).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1/);
  });

  it("stops at once when the caller aborts", async () => {
    const { http } = await client([
      {
        method: "GET",
        path: "/slow",
        handler: () => new Promise((r) => setTimeout(() => r({ body: { ok: true } }), 500)),
      },
    ]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const error = await failure(http.json({ path: "/slow", schema: okSchema, signal: controller.signal }));
    expect([error.code, error.message, error.retryable]).toEqual([
      "TIMEOUT",
      "acme: GET /slow: cancelled",
      false,
    ]);
    expect(server.requests).toHaveLength(1);
    const late = await failure(
      http.json({ path: "/slow", schema: okSchema, signal: AbortSignal.timeout(20) }),
    );
    expect([late.code, late.message]).toEqual(["TIMEOUT", "acme: GET /slow: the caller's time limit passed"]);
  });

  it("reads text and NDJSON answers", async () => {
    const { http } = await client([
      { method: "GET", path: "/mime", handler: () => ({ body: "From: a@b\r\n\r\nhi" }) },
      { method: "GET", path: "/nd", handler: () => ({ body: '{"a":1}\n\n{"a":2}\n' }) },
    ]);
    expect(await http.json({ path: "/mime", as: "text", schema: z.string() })).toBe("From: a@b\r\n\r\nhi");
    expect(
      await http.json({ path: "/nd", as: "ndjson", schema: z.array(z.object({ a: z.number() })) }),
    ).toEqual([{ a: 1 }, { a: 2 }]);
  });
});

describe("createTokenAuth", () => {
  it("fetches one token for concurrent requests, caches it, and refreshes it before it expires", async () => {
    let issued = 0;
    let clock = 0;
    server = await startFakeServer([
      {
        method: "POST",
        path: "/tenant/token",
        handler: () => ({
          status: 201,
          body: { access_token: `t${++issued}`, expires_in: 1799, token_type: "bearer" },
        }),
      },
    ]);
    const auth = createTokenAuth({
      vendor: "acme",
      tokenUrl: `${server.url}/tenant/token`,
      form: { grant_type: "client_credentials", client_id: "id", client_secret: "s" },
      now: () => clock,
    });
    const all = await Promise.all([auth.headers(), auth.headers(), auth.headers()]);
    expect(all.map((h) => h.authorization)).toEqual(["Bearer t1", "Bearer t1", "Bearer t1"]);
    expect(formOf(server.requests[0]!).get("client_secret")).toBe("s");
    clock = 1_799_000 - 60_000 - 1;
    expect((await auth.headers()).authorization).toBe("Bearer t1");
    clock += 2;
    expect((await auth.headers()).authorization).toBe("Bearer t2");
    expect(auth.fetches()).toBe(2);
  });

  it("gets a new token once when a request answers 401, then gives up with AUTH_FAILED", async () => {
    let issued = 0;
    let accept = "t2";
    server = await startFakeServer([
      {
        method: "POST",
        path: "/token",
        handler: () => ({ body: { access_token: `t${++issued}`, expires_in: 3600 } }),
      },
      {
        method: "GET",
        path: "/data",
        handler: (r) =>
          r.headers.authorization === `Bearer ${accept}` ? { body: { ok: true } } : { status: 401, body: {} },
      },
    ]);
    const auth = createTokenAuth({ vendor: "acme", tokenUrl: `${server.url}/token`, form: {} });
    const http = createHttpClient({ vendor: "acme", baseUrl: server.url, auth });
    await auth.headers();
    expect(await http.json({ path: "/data", schema: okSchema })).toEqual({ ok: true });
    accept = "never";
    expect((await failure(http.json({ path: "/data", schema: okSchema }))).code).toBe("AUTH_FAILED");
    expect(auth.fetches()).toBe(3);
  });

  it("reports a refused secret as AUTH_FAILED naming the vendor", async () => {
    server = await startFakeServer([
      {
        method: "POST",
        path: "/token",
        handler: () => ({
          status: 400,
          body: { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret" },
        }),
      },
    ]);
    const auth = createTokenAuth({ vendor: "sentinel", tokenUrl: `${server.url}/token`, form: {} });
    const error = await auth.headers().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolError);
    expect(isToolError(error) && [error.code, error.message]).toEqual([
      "AUTH_FAILED",
      "sentinel: POST /token: token refused: AADSTS7000215: Invalid client secret",
    ]);
  });
});
