import { afterEach, describe, expect, it } from "vitest";
import { isToolError } from "../../errors.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { jsonOf, type FakeRequest } from "../../testing/fake-http.ts";
import { siemQuerySchema, type SiemQueryInput, type SiemSearch } from "../../types.ts";
import type { FakeDoc } from "./testing/fake-dsl.ts";
import { FAKE_API_KEY } from "./testing/fake.ts";
import { harness, type Harness } from "./testing/setup.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.fake.close();
  h = undefined;
});

async function siem(...args: Parameters<typeof harness>): Promise<SiemSearch> {
  h = await harness(...args);
  if (!h.instance.siem) throw new Error("no siem port");
  return h.instance.siem;
}
const search = (port: SiemSearch, q: Partial<SiemQueryInput>) =>
  port.searchEvents(siemQuerySchema.parse({ dataset: "signin", ...FIXTURE.window, ...q }));
const sent = (path: string, method = "POST"): FakeRequest[] =>
  (h?.fake.elasticsearch.requests ?? []).filter((r) => r.path === path && r.method === method);
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => {
      if (!isToolError(e)) throw e;
      return e;
    },
  );

const rejected = {
  status: 429,
  body: {
    error: {
      root_cause: [{ type: "es_rejected_execution_exception", reason: "rejected execution of search" }],
      type: "es_rejected_execution_exception",
      reason: "rejected execution of search",
    },
    status: 429,
  },
};

/** A DNS event as stored, with a multivalued event.category and dotted keys beside nested ones. */
const dnsDoc: FakeDoc = {
  _id: "d-1",
  _index: "logs-network.dns-default",
  _source: {
    "@timestamp": "2026-11-03T09:58:00.000Z",
    event: { category: ["network", "dns"] },
    "network.protocol": "dns",
    dns: { question: { name: "evil.test" } },
    source: { ip: "10.0.0.5" },
    tags: [],
  },
};

describe("elastic siem: query DSL requests", () => {
  it("sends one authenticated _search with the time range, dataset filter and typed filters", async () => {
    const port = await siem();
    const events = await search(port, { where: [{ field: "user.name", op: "eq", value: "BOB@corp.test" }] });
    expect(events.map((e) => e.id)).toEqual(["e-1", "e-2"]);
    expect(events[0]?.fields["event.category"]).toBe("authentication");
    const [caps] = sent("/logs-*/_field_caps", "GET");
    expect(caps?.query.get("fields")).toBe("user.name");
    const [request] = sent("/logs-*/_search");
    expect(request?.headers.authorization).toBe(`ApiKey ${FAKE_API_KEY}`);
    expect(jsonOf(request!)).toEqual({
      query: {
        bool: {
          filter: [
            {
              range: {
                "@timestamp": {
                  gte: FIXTURE.window.from,
                  lte: FIXTURE.window.to,
                  format: "strict_date_optional_time",
                },
              },
            },
            { term: { "event.category": "authentication" } },
            { term: { "user.name": { value: "BOB@corp.test", case_insensitive: true } } },
          ],
        },
      },
      track_total_hits: false,
      size: 100,
      sort: [{ "@timestamp": { order: "asc" } }],
    });
  });

  it("asks _field_caps once per field and index pattern, then uses its cache", async () => {
    const port = await siem();
    const where = [{ field: "source.ip", op: "eq" as const, value: "45.1.2.3" }];
    await search(port, { where });
    await search(port, { where });
    expect(sent("/logs-*/_field_caps", "GET")).toHaveLength(1);
    expect(jsonOf(sent("/logs-*/_search")[0]!)).toMatchObject({
      query: { bool: { filter: [{}, {}, { term: { "source.ip": { value: "45.1.2.3" } } }] } },
    });
  });

  it("pages past the page size with a point in time and search_after, to the limit, then frees it", async () => {
    const port = await siem({ pageSize: 2 });
    expect((await search(port, {})).map((e) => e.id)).toEqual(["e-1", "e-2", "e-3"]);
    const [open] = sent("/logs-*/_pit");
    expect(open?.query.get("keep_alive")).toBe("1m");
    const pages = sent("/_search").map((r) => jsonOf(r));
    expect(pages).toHaveLength(2);
    expect(pages[0]).toMatchObject({ size: 2, pit: { id: "pit-1", keep_alive: "1m" } });
    expect(pages[0]).not.toHaveProperty("search_after");
    // The id the first page answered with, and its last hit's sort values (timestamp, shard doc).
    expect(pages[1]).toMatchObject({
      size: 2,
      pit: { id: "pit-2" },
      search_after: [Date.parse(FIXTURE.events[1]?.timestamp ?? ""), 1],
      sort: [{ "@timestamp": { order: "asc" } }, { _shard_doc: "asc" }],
    });
    expect(jsonOf(sent("/_pit", "DELETE")[0]!)).toEqual({ id: "pit-3" });
    expect(h?.fake.openPits()).toBe(0);
  });

  it("stops paging at the limit", async () => {
    const port = await siem({ pageSize: 1 });
    expect((await search(port, { limit: 2 })).map((e) => e.id)).toEqual(["e-1", "e-2"]);
    expect(sent("/_search").map((r) => jsonOf(r))).toMatchObject([{ size: 1 }, { size: 1 }]);
  });

  it("frees the point in time when a page fails", async () => {
    const port = await siem({ pageSize: 1 }, {}, undefined, { retry: { retries: 0 } });
    h?.fake.elasticsearch.inject(rejected, { when: (r) => r.path === "/_search" });
    expect((await failure(search(port, {}))).code).toBe("RATE_LIMITED");
    expect(sent("/_pit", "DELETE")).toHaveLength(1);
    expect(h?.fake.openPits()).toBe(0);
  });

  it("retries 429 es_rejected_execution_exception with exponential backoff (no Retry-After)", async () => {
    const port = await siem();
    h?.fake.elasticsearch.inject(rejected, { times: 2, when: (r) => r.path.endsWith("/_search") });
    expect((await search(port, {})).map((e) => e.id)).toEqual(["e-1", "e-2", "e-3"]);
    expect(h?.waits).toHaveLength(2);
    const [first = 0, second = 0] = h?.waits ?? [];
    expect(first).toBeGreaterThanOrEqual(187);
    expect(second).toBeGreaterThan(first);
  });

  it("gives up past the retry budget with RATE_LIMITED and the cluster's reason", async () => {
    const port = await siem({}, {}, undefined, { retry: { retries: 2 } });
    h?.fake.elasticsearch.inject(rejected, { times: 5, when: (r) => r.path.endsWith("/_search") });
    const error = await failure(search(port, {}));
    expect(error.code).toBe("RATE_LIMITED");
    expect(error.message).toContain("es_rejected_execution_exception: rejected execution of search");
    expect(sent("/logs-*/_search")).toHaveLength(3);
  });

  it("answers no events for a missing index, and BAD_INPUT for contains on a number", async () => {
    const port = await siem({ datasets: { dns: { index: "no-such-index" } } });
    expect(await search(port, { dataset: "dns" })).toEqual([]);
    const error = await failure(
      search(port, {
        dataset: "proxy",
        where: [{ field: "http.response.status_code", op: "contains", value: "20" }],
      }),
    );
    expect(error.code).toBe("BAD_INPUT");
  });

  it("flattens nested and dotted keys and joins several values of one field", async () => {
    const port = await siem({}, { eventDocs: [dnsDoc] });
    const [event] = await search(port, {
      dataset: "dns",
      where: [{ field: "dns.question.name", op: "eq", value: "EVIL.test" }],
    });
    expect(event).toEqual({
      id: "d-1",
      timestamp: "2026-11-03T09:58:00.000Z",
      dataset: "dns",
      fields: {
        "event.category": "network, dns",
        "network.protocol": "dns",
        "dns.question.name": "evil.test",
        "source.ip": "10.0.0.5",
      },
    });
  });

  it("fails AUTH_FAILED without the key in the environment, or with a key the cluster refuses", async () => {
    const port = await siem({}, {}, {});
    expect((await failure(search(port, {}))).message).toContain("set ELASTIC_API_KEY");
    await h?.fake.close();
    const refused = await siem({}, {}, { ELASTIC_API_KEY: "d3Jvbmc=" });
    const error = await failure(search(refused, {}));
    expect([error.code, error.message]).toEqual([
      "AUTH_FAILED",
      expect.stringContaining("security_exception: unable to authenticate with provided credentials"),
    ]);
  });

  it("encodes an id:api_key pair from the environment", async () => {
    const port = await siem(
      {},
      { apiKey: Buffer.from("kid:secret").toString("base64") },
      { ELASTIC_API_KEY: "kid:secret" },
    );
    expect(await search(port, {})).toHaveLength(3);
  });
});

describe("elastic siem: ES|QL requests", () => {
  const where = [
    { field: "user.name", op: "eq" as const, value: "BOB@corp.test" },
    { field: "source.geo.country_iso_code", op: "neq" as const, value: "us" },
  ];

  it("posts an async query with the dataset filter as DSL and reads the columns back", async () => {
    const port = await siem({ language: "esql" });
    const events = await search(port, { where });
    expect(events.map((e) => e.id)).toEqual(["e-2"]);
    expect(events[0]?.fields).toMatchObject(FIXTURE.events[1]?.fields ?? {});
    expect(sent("/logs-*/_field_caps", "GET")[0]?.query.get("fields")).toBe(
      "@timestamp,user.name,source.geo.country_iso_code",
    );
    const [request] = sent("/_query/async");
    expect(request?.query.get("drop_null_columns")).toBe("true");
    const body = jsonOf(request!);
    expect(body).toMatchObject({
      filter: { bool: { filter: [{ term: { "event.category": "authentication" } }] } },
      wait_for_completion_timeout: "2s",
      keep_on_completion: false,
    });
    expect(body).toHaveProperty(
      "query",
      expect.stringContaining(
        'WHERE TO_LOWER(`user.name`) == "bob@corp.test" AND (`source.geo.country_iso_code` IS NULL',
      ),
    );
    expect(sent("/_query/async", "GET")).toEqual([]);
  });

  it("polls a running async query to completion, then deletes it", async () => {
    const port = await siem({ language: "esql" }, { esqlRunningPolls: 2 });
    expect((await search(port, {})).map((e) => e.id)).toEqual(["e-1", "e-2", "e-3"]);
    const polls = (h?.fake.elasticsearch.requests ?? []).filter((r) => r.path === "/_query/async/esql-1");
    expect(polls.map((r) => r.method)).toEqual(["GET", "GET", "GET", "DELETE"]);
    expect(h?.waits).toEqual([500, 750]);
    expect(h?.fake.storedQueries()).toBe(0);
  });

  it("gives up on an async query that outlasts esqlTimeoutMs, and deletes it", async () => {
    const port = await siem({ language: "esql", esqlTimeoutMs: 2_000 }, { esqlRunningPolls: Infinity });
    const error = await failure(search(port, {}));
    expect([error.code, error.message]).toEqual([
      "TIMEOUT",
      "elastic: ES|QL query esql-1 did not finish within 2 s",
    ]);
    expect(sent("/_query/async/esql-1", "DELETE")).toHaveLength(1);
    expect(h?.fake.storedQueries()).toBe(0);
  });

  it("uses the synchronous /_query when esqlAsync is off, multivalued columns joined", async () => {
    const port = await siem({ language: "esql", esqlAsync: false }, { eventDocs: [dnsDoc] });
    const [event] = await search(port, { dataset: "dns" });
    expect(event?.fields["event.category"]).toBe("network, dns");
    expect(sent("/_query")).toHaveLength(1);
    expect(sent("/_query/async")).toEqual([]);
  });

  it("asks nothing when a filter names an unmapped field or no index matches", async () => {
    const port = await siem({ language: "esql", datasets: { dns: { index: "nothing-*" } } });
    expect(await search(port, { where: [{ field: "no.such_field", op: "eq", value: "x" }] })).toEqual([]);
    expect(await search(port, { dataset: "dns" })).toEqual([]);
    expect(sent("/_query/async")).toEqual([]);
    const all = await search(port, { where: [{ field: "no.such_field", op: "neq", value: "x" }] });
    expect(all.map((e) => e.id)).toEqual(["e-1", "e-2", "e-3"]);
  });

  it("finds an event by a hostile value, and only that one", async () => {
    const hostile = 'eve" | WHERE "1" == "1\\\n|*?';
    const doc: FakeDoc = {
      _id: "h-1",
      _index: "logs-system.auth-default",
      _source: {
        "@timestamp": "2026-11-03T09:59:00.000Z",
        event: { category: ["authentication"] },
        user: { name: hostile },
      },
    };
    for (const language of ["esql", "dsl"] as const) {
      const port = await siem({ language }, { eventDocs: [doc] });
      const eq = await search(port, {
        where: [{ field: "user.name", op: "eq", value: hostile.toUpperCase() }],
      });
      const contains = await search(port, {
        where: [{ field: "user.name", op: "contains", value: '"1\\\n|*' }],
      });
      expect([eq.map((e) => e.id), contains.map((e) => e.id)]).toEqual([["h-1"], ["h-1"]]);
      expect(
        await search(port, { where: [{ field: "user.name", op: "contains", value: "*" }] }),
      ).toHaveLength(1);
      await h?.fake.close();
    }
  });

  it("reports an ES|QL error with the cluster's type and reason", async () => {
    const port = await siem({ language: "esql" }, {}, undefined, { retry: { retries: 0 } });
    h?.fake.elasticsearch.inject(
      {
        status: 400,
        body: {
          error: {
            root_cause: [{ type: "verification_exception", reason: "Found 1 problem" }],
            type: "verification_exception",
            reason: "x",
          },
          status: 400,
        },
      },
      { when: (r) => r.path === "/_query/async" },
    );
    const error = await failure(search(port, {}));
    expect([error.code, error.message]).toEqual([
      "BAD_INPUT",
      expect.stringContaining("verification_exception: Found 1 problem"),
    ]);
  });
});
