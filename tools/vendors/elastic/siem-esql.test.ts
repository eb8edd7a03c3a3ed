import { afterEach, describe, expect, it } from "vitest";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { jsonOf } from "../../testing/fake-http.ts";
import type { SiemSearch } from "../../../core/ports.ts";
import type { FakeDoc } from "./testing/fake-dsl.ts";
import { dnsDoc, failure, siemSession } from "./testing/setup.ts";

const session = siemSession();
afterEach(() => session.close());
const { search, sent } = session;
const siem = (...args: Parameters<typeof session.start>): Promise<SiemSearch> => session.start(...args);

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
    const polls = (session.harness.fake.elasticsearch.requests ?? []).filter(
      (r) => r.path === "/_query/async/esql-1",
    );
    expect(polls.map((r) => r.method)).toEqual(["GET", "GET", "GET", "DELETE"]);
    expect(session.harness.waits).toEqual([500, 750]);
    expect(session.harness.fake.storedQueries()).toBe(0);
  });

  it("gives up on an async query that outlasts esqlTimeoutMs, and deletes it", async () => {
    const port = await siem({ language: "esql", esqlTimeoutMs: 2_000 }, { esqlRunningPolls: Infinity });
    const error = await failure(search(port, {}));
    expect([error.code, error.message]).toEqual([
      "TIMEOUT",
      "elastic: ES|QL query esql-1 did not finish within 2 s",
    ]);
    expect(sent("/_query/async/esql-1", "DELETE")).toHaveLength(1);
    expect(session.harness.fake.storedQueries()).toBe(0);
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
      await session.harness.fake.close();
    }
  });

  it("reports an ES|QL error with the cluster's type and reason", async () => {
    const port = await siem({ language: "esql" }, {}, undefined, { retry: { retries: 0 } });
    session.harness.fake.elasticsearch.inject(
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
