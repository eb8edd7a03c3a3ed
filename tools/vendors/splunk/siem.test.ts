import { afterEach, describe, expect, it } from "vitest";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { siemQuerySchema, type SiemQueryInput } from "../../../core/domain.ts";
import { splunkEvent } from "./testing/seed.ts";
import { portOf, requestsTo, searchesOf, startHarness, type Harness } from "./testing/harness.ts";
import { toolErrorOf as failure } from "../../testing/fake-http.ts";

let harness: Harness | undefined;
afterEach(async () => harness?.close());

const start = async (options: Parameters<typeof startHarness>[0] = {}) =>
  (harness = await startHarness(options));
const search = (h: Harness, q: Partial<SiemQueryInput> = {}) =>
  portOf(h, "siem").searchEvents(siemQuerySchema.parse({ dataset: "signin", ...FIXTURE.window, ...q }));

/** n sign-in events a minute apart from the fixture window's start. */
const signIns = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    splunkEvent(
      {
        id: `s-${i}`,
        timestamp: new Date(Date.parse(FIXTURE.window.from) + (i + 1) * 60_000).toISOString(),
        dataset: "signin",
        fields: { "user.name": `u${i}@corp.test` },
      },
      i,
    ),
  );

describe("search jobs", () => {
  it("creates a job with the SPL and range, polls it to DONE, then pages the results", async () => {
    const h = await start();
    const events = await search(h);
    expect(events.map((e) => e.id)).toEqual(["e-1", "e-2", "e-3"]);
    const [created] = requestsTo(h.fake, "POST", /\/services\/search\/jobs$/);
    expect(created?.headers.authorization).toBe(`Bearer ${h.fake.token}`);
    expect(searchesOf(h.fake)).toEqual([
      {
        search: 'search index="*" tag="authentication" | sort 100 _time',
        earliest_time: "1793692800.000",
        latest_time: "1793707200.001",
        exec_mode: "normal",
        output_mode: "json",
      },
    ]);
    // Two RUNNING answers, then DONE: two waits through the context's sleep, growing.
    expect(requestsTo(h.fake, "GET", /\/jobs\/[\d.]+$/)).toHaveLength(3);
    expect(h.waits).toEqual([500, 750]);
    // The fake caps a page at 2 rows: the client asks for what is left until it has resultCount rows.
    const pages = requestsTo(h.fake, "GET", /\/results$/).map((r) => Object.fromEntries(r.query));
    expect(pages).toEqual([
      { output_mode: "json", count: "3", offset: "0" },
      { output_mode: "json", count: "1", offset: "2" },
    ]);
  });

  it("maps rows back to ECS names, drops Splunk's bookkeeping and converts numeric fields", async () => {
    const h = await start();
    const [event] = await search(h, { dataset: "proxy" });
    expect(event).toEqual({
      id: "e-4",
      timestamp: FIXTURE.events[3]?.timestamp,
      dataset: "proxy",
      fields: {
        "user.name": "ann@corp.test",
        "url.domain": "evil.test",
        "http.response.status_code": 200,
        event_id: "e-4",
        index: "main",
        sourcetype: "pan:threat",
        source: "pan:threat:input",
        host: "hf-01",
      },
    });
  });

  it("joins multivalue fields, keeps non-numbers as text and derives an id from the bucket address", async () => {
    const row = signIns(1)[0];
    if (!row) throw new Error("no row");
    delete row.fields.event_id;
    Object.assign(row.fields, { status: "n/a", dest: ["dc01", "dc02"], src_port: "51515" });
    const h = await start({ fake: { events: [row] } });
    const [event] = await search(h);
    expect(event?.id).toBe("main~42~5E9A1C2B-0000-4000-8000-000000000042:42:1000");
    expect(event?.fields).toMatchObject({
      "http.response.status_code": "n/a",
      "host.name": "dc01, dc02",
      "source.port": 51515,
    });
  });

  it("reads no further than the limit, a page at a time of the configured size", async () => {
    const h = await start({ fake: { events: signIns(7), pageCap: 5 }, config: { pageSize: 2 } });
    const events = await search(h, { limit: 5 });
    expect(events.map((e) => e.id)).toEqual(["s-0", "s-1", "s-2", "s-3", "s-4"]);
    const pages = requestsTo(h.fake, "GET", /\/results$/).map((r) => [
      r.query.get("count"),
      r.query.get("offset"),
    ]);
    expect(pages).toEqual([
      ["2", "0"],
      ["2", "2"],
      ["1", "4"],
    ]);
  });

  it("sends no search when a filter can match nothing", async () => {
    const h = await start();
    expect(await search(h, { where: [{ field: "source.ip", op: "in", value: [] }] })).toEqual([]);
    expect(h.fake.requests).toEqual([]);
  });

  it("searches in the configured app's namespace", async () => {
    const h = await start({ config: { app: "search", owner: "svc-triage" } });
    expect(await search(h, { limit: 1 })).toHaveLength(1);
    expect(h.fake.requests.every((r) => r.path.startsWith("/servicesNS/svc-triage/search/search/jobs"))).toBe(
      true,
    );
  });

  it("gives up on a job that does not finish in time, and cancels it", async () => {
    const h = await start({ fake: { neverFinish: true }, config: { jobTimeoutMs: 5_000 } });
    const error = await failure(search(h));
    expect(error.code).toBe("TIMEOUT");
    expect(error.message).toMatch(/^splunk: search job [\d.]+ did not finish within 5 s$/);
    expect(h.waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(5_000);
    const [cancel] = requestsTo(h.fake, "POST", /\/control$/);
    expect(Object.fromEntries(new URLSearchParams(cancel?.body))).toEqual({
      action: "cancel",
      output_mode: "json",
    });
  });

  it("reports a job that vanished between polls as an upstream failure, not as nothing found", async () => {
    const h = await start();
    h.fake.inject(
      { status: 404, body: { messages: [{ type: "ERROR", text: "Unknown sid." }] } },
      { when: (r) => r.method === "GET" && /\/jobs\/[\d.]+$/.test(r.path) },
    );
    const error = await failure(search(h));
    expect(error.code).toBe("UPSTREAM_ERROR");
    expect(error.message).toMatch(/^splunk: search job [\d.]+ vanished \(expired or deleted\)$/);
  });

  it("reports a failed job with Splunk's reason", async () => {
    const h = await start({
      fake: { failJobs: "Error in 'search' command: quota exceeded on indexer idx-01." },
    });
    const error = await failure(search(h));
    expect(error.code).toBe("UPSTREAM_ERROR");
    expect(error.message).toMatch(/failed: Error in 'search' command: quota exceeded on indexer idx-01\.$/);
    expect(requestsTo(h.fake, "GET", /\/results$/)).toEqual([]);
  });

  it("turns a FATAL parse error into BAD_INPUT with Splunk's text", async () => {
    const h = await start({ config: { siem: { datasets: { signin: { filter: "`no_such_macro`" } } } } });
    const error = await failure(search(h));
    expect(error.code).toBe("BAD_INPUT");
    expect(error.message).toBe(
      "splunk: POST /services/search/jobs: HTTP 400 The search specifies a macro 'no_such_macro' that cannot be found.",
    );
  });
});

describe("throttling: the 503 search-concurrency quota", () => {
  const quota = {
    status: 503,
    body: {
      messages: [
        {
          type: "FATAL",
          text: 'Search not executed: The maximum number of concurrent historical searches for this user based on their role quota has been reached. concurrency_category="historical", current_concurrency=3, concurrency_limit=3',
        },
      ],
    },
  };
  const onCreate = (r: { method: string; path: string }) =>
    r.method === "POST" && r.path.endsWith("/search/jobs");

  it("is retried with backoff until the job is accepted", async () => {
    const h = await start();
    h.fake.inject(quota, { times: 2, when: onCreate });
    expect((await search(h)).map((e) => e.id)).toEqual(["e-1", "e-2", "e-3"]);
    expect(requestsTo(h.fake, "POST", /\/search\/jobs$/)).toHaveLength(3);
    // Two backoffs before the poll waits (500, 750).
    expect(h.waits).toHaveLength(4);
  });

  it("fails RATE_LIMITED once the retry budget is spent", async () => {
    const h = await start({ retry: { retries: 10, budgetMs: 2_000 } });
    h.fake.inject(quota, { times: 100, when: onCreate });
    const error = await failure(search(h));
    expect(error.code).toBe("RATE_LIMITED");
    expect(error.message).toContain("maximum number of concurrent historical searches");
    expect(h.waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2_000);
  });

  it("leaves other 503s as upstream errors", async () => {
    const h = await start({ retry: { retries: 1 } });
    h.fake.inject(
      { status: 503, body: { messages: [{ type: "ERROR", text: "Service Unavailable" }] } },
      { times: 5 },
    );
    expect((await failure(search(h))).code).toBe("UPSTREAM_ERROR");
  });
});

describe("export mode", () => {
  it("streams the search once, skipping preview rows and a separate lastrow", async () => {
    const h = await start({ config: { mode: "export" }, fake: { exportSentinel: true } });
    expect((await search(h)).map((e) => e.id)).toEqual(["e-1", "e-2", "e-3"]);
    const [sent] = requestsTo(h.fake, "POST", /\/search\/jobs\/export$/);
    expect(Object.fromEntries(new URLSearchParams(sent?.body))).toEqual({
      search: 'search index="*" tag="authentication" | sort 100 _time',
      earliest_time: "1793692800.000",
      latest_time: "1793707200.001",
      output_mode: "json",
    });
    expect(h.fake.requests).toHaveLength(1);
  });

  it("keeps to the limit even if the stream holds more", async () => {
    const h = await start({ config: { mode: "export" }, fake: { events: signIns(4) } });
    expect((await search(h, { limit: 2 })).map((e) => e.id)).toEqual(["s-0", "s-1"]);
  });

  it("is retried on the quota too", async () => {
    const h = await start({ config: { mode: "export" } });
    h.fake.inject({ status: 503, body: "maximum number of concurrent searches reached" }, { times: 1 });
    expect(await search(h)).toHaveLength(3);
    expect(h.waits).toHaveLength(1);
  });
});
