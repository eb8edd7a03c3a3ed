import { afterEach, describe, expect, it } from "vitest";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { jsonOf } from "../../testing/fake-http.ts";
import type { SiemSearch } from "../../../core/ports.ts";
import { FAKE_API_KEY } from "./testing/fake.ts";
import { dnsDoc, failure, siemSession } from "./testing/setup.ts";

const session = siemSession();
afterEach(() => session.close());
const { search, sent } = session;
const siem = (...args: Parameters<typeof session.start>): Promise<SiemSearch> => session.start(...args);

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
    expect(session.harness.fake.openPits()).toBe(0);
  });

  it("stops paging at the limit", async () => {
    const port = await siem({ pageSize: 1 });
    expect((await search(port, { limit: 2 })).map((e) => e.id)).toEqual(["e-1", "e-2"]);
    expect(sent("/_search").map((r) => jsonOf(r))).toMatchObject([{ size: 1 }, { size: 1 }]);
  });

  it("frees the point in time when a page fails", async () => {
    const port = await siem({ pageSize: 1 }, {}, undefined, { retry: { retries: 0 } });
    session.harness.fake.elasticsearch.inject(rejected, { when: (r) => r.path === "/_search" });
    expect((await failure(search(port, {}))).code).toBe("RATE_LIMITED");
    expect(sent("/_pit", "DELETE")).toHaveLength(1);
    expect(session.harness.fake.openPits()).toBe(0);
  });

  it("retries 429 es_rejected_execution_exception with exponential backoff (no Retry-After)", async () => {
    const port = await siem();
    session.harness.fake.elasticsearch.inject(rejected, {
      times: 2,
      when: (r) => r.path.endsWith("/_search"),
    });
    expect((await search(port, {})).map((e) => e.id)).toEqual(["e-1", "e-2", "e-3"]);
    expect(session.harness.waits).toHaveLength(2);
    const [first = 0, second = 0] = session.harness.waits ?? [];
    expect(first).toBeGreaterThanOrEqual(187);
    expect(second).toBeGreaterThan(first);
  });

  it("gives up past the retry budget with RATE_LIMITED and the cluster's reason", async () => {
    const port = await siem({}, {}, undefined, { retry: { retries: 2 } });
    session.harness.fake.elasticsearch.inject(rejected, {
      times: 5,
      when: (r) => r.path.endsWith("/_search"),
    });
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
    await session.harness.fake.close();
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
