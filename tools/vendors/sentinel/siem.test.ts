import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { describeSiemContract } from "../../contracts/siem.contract.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { siemDatasetSchema, siemQuerySchema, type SiemQueryInput } from "../../../core/domain.ts";
import { kqlString } from "../microsoft/kql.ts";
import { buildSiemKql } from "./siem.ts";
import { connectSentinel } from "./testing/connect.ts";
import { startSentinelFake, type SentinelFake } from "./testing/fake.ts";
import { tokenize } from "../microsoft/testing/kql-lexer.ts";
import { parseKql } from "../microsoft/testing/kql-parser.ts";
import { toolErrorOf as failure } from "../../testing/fake-http.ts";

describeSiemContract("sentinel (Log Analytics)", async () => {
  const fake = await startSentinelFake();
  return { port: connectSentinel(fake).instance.siem!, fixture: FIXTURE, teardown: () => fake.close() };
});

let fake: SentinelFake;
afterEach(async () => fake?.close());

const query = (q: Partial<SiemQueryInput> = {}) =>
  siemQuerySchema.parse({ dataset: "signin", ...FIXTURE.window, ...q });

describe("sentinel SIEM: the KQL sent", () => {
  it("projects ECS names, filters on them, sorts oldest first and takes the limit", async () => {
    fake = await startSentinelFake();
    const { instance } = connectSentinel(fake);
    await instance.siem!.searchEvents(
      query({ where: [{ field: "user.name", op: "eq", value: "BOB@corp.test" }], limit: 7 }),
    );
    const sent = fake.requests.find((r) => r.path.endsWith("/query"));
    expect(sent?.path).toBe(`/v1/workspaces/${String(fake.config["workspaceId"])}/query`);
    expect(sent?.headers["authorization"]).toMatch(/^Bearer fake-token-/);
    const { query: kql, timespan } = fake.queries[0] ?? { query: "", timespan: "" };
    expect(kql.split("\n")).toEqual([
      "SigninLogs",
      "| where TimeGenerated >= datetime(2026-11-03T08:00:00.000Z) and TimeGenerated < datetime(2026-11-03T12:00:00.001Z)",
      expect.stringMatching(
        /^\| project \['@timestamp'\] = TimeGenerated, \['@id'\] = tostring\(_ItemId\), \['user\.name'\] = UserPrincipalName, /,
      ),
      `| where tostring(['user.name']) =~ "BOB@corp.test"`,
      "| sort by ['@timestamp'] asc, ['@id'] asc",
      "| take 7",
    ]);
    expect(timespan).toBe("2026-11-03T07:59:59.000Z/2026-11-03T12:00:01.001Z");
  });

  it("maps every operator to its case-insensitive KQL form", () => {
    const kql = (where: SiemQueryInput["where"]) =>
      buildSiemKql(query({ dataset: "proxy", where }), {}, "sentinel")?.kql.split("\n")[3];
    expect(kql([{ field: "url.domain", op: "neq", value: "a" }])).toBe(
      `| where tostring(['url.domain']) !~ "a"`,
    );
    expect(kql([{ field: "url.domain", op: "in", value: ["a", "b"] }])).toBe(
      `| where tostring(['url.domain']) in~ ("a", "b")`,
    );
    expect(kql([{ field: "url.domain", op: "contains", value: "evil" }])).toBe(
      `| where tostring(['url.domain']) contains "evil"`,
    );
    expect(kql([{ field: "http.response.status_code", op: "gte", value: 200 }])).toBe(
      "| where todouble(['http.response.status_code']) >= real(200)",
    );
    expect(kql([{ field: "url.full", op: "lte", value: "2026-11-03T10:00:00+01:00" }])).toBe(
      "| where todatetime(['url.full']) <= datetime(2026-11-03T09:00:00.000Z)",
    );
    expect(kql([{ field: "url.full", op: "gte", value: "m" }])).toBe(
      `| where strcmp(tostring(['url.full']), "m") >= 0`,
    );
  });

  it("spends no query on a filter that cannot match, and drops a neq on an unmapped field", async () => {
    fake = await startSentinelFake();
    const { instance } = connectSentinel(fake);
    expect(
      await instance.siem!.searchEvents(query({ where: [{ field: "no.such", op: "in", value: ["x"] }] })),
    ).toEqual([]);
    expect(fake.queries).toHaveLength(0);
    const all = await instance.siem!.searchEvents(
      query({ where: [{ field: "no.such", op: "neq", value: "x" }] }),
    );
    expect(all.map((e) => e.id)).toEqual(["e-1", "e-2", "e-3"]);
  });

  it("uses a configured table and field mappings", async () => {
    const built = buildSiemKql(
      query({ dataset: "proxy", where: [{ field: "url.domain", op: "eq", value: "x" }] }),
      {
        proxy: {
          table: "ZScalerLogs_CL",
          timeColumn: "TimeGenerated",
          idColumn: "_ItemId",
          fields: { "url.domain": "Host_s" },
        },
      },
      "sentinel",
    );
    expect(built?.kql).toMatch(/^ZScalerLogs_CL\n/);
    expect(built?.kql).toContain("['url.domain'] = Host_s");
  });

  it("every default table and mapping is valid KQL over the fake's schema", async () => {
    fake = await startSentinelFake();
    const { instance } = connectSentinel(fake);
    for (const dataset of siemDatasetSchema.options)
      await expect(instance.siem!.searchEvents(query({ dataset })), dataset).resolves.toBeInstanceOf(Array);
  });
});

describe("sentinel SIEM: hostile values stay one literal", () => {
  const hostile = [
    `x" | take 1000 | where "a" == "a`,
    "bob@corp.test\n| union SecurityEvent",
    'back\\slash\\" | project secret',
    "tab\tand\rreturn // comment",
    "'; drop table",
  ];

  it("sends quotes, backslashes, pipes and newlines inside a single string literal", async () => {
    fake = await startSentinelFake();
    const { instance } = connectSentinel(fake);
    for (const value of hostile) {
      expect(
        await instance.siem!.searchEvents(query({ where: [{ field: "user.name", op: "eq", value }] })),
      ).toEqual([]);
      const sent = fake.queries.at(-1)?.query ?? "";
      const parsed = parseKql(sent);
      expect(parsed.stages.map((s) => s.kind)).toEqual(["where", "project", "where", "sort", "take"]);
      const filter = parsed.stages[2];
      expect(filter?.kind === "where" && filter.expr.kind === "binary" && filter.expr.right).toEqual({
        kind: "literal",
        value,
      });
    }
  });

  it("quotes any printable text as exactly one token holding it", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (value) => {
        fc.pre(![...value].some((c) => (c.charCodeAt(0) < 0x20 && !"\t\n\r".includes(c)) || c === "\u007f"));
        const tokens = tokenize(kqlString(value, "sentinel"));
        expect(tokens).toEqual([{ kind: "string", value }, { kind: "end" }]);
      }),
    );
  });

  it("refuses control characters it cannot quote", async () => {
    fake = await startSentinelFake();
    const { instance } = connectSentinel(fake);
    const error = await failure(
      instance.siem!.searchEvents(query({ where: [{ field: "user.name", op: "eq", value: "a\u0000b" }] })),
    );
    expect(error.code).toBe("BAD_INPUT");
    expect(fake.queries).toHaveLength(0);
  });
});

describe("sentinel SIEM: answers", () => {
  it("reads dynamic columns (JSON text) and 7-digit times", async () => {
    fake = await startSentinelFake();
    const { instance } = connectSentinel(fake, {
      datasets: { signin: { fields: { "source.geo.detail": "LocationDetails" } } },
    });
    const [first] = await instance.siem!.searchEvents(query({ limit: 1 }));
    expect(first?.timestamp).toBe(FIXTURE.events[0]?.timestamp);
    expect(JSON.parse(String(first?.fields["source.geo.detail"]))).toEqual({
      countryOrRegion: "US",
      city: null,
    });
    expect(first?.fields).not.toHaveProperty("source.geo.city_name");
  });

  it("refuses a partial result (200 with an error) as BAD_RESPONSE", async () => {
    fake = await startSentinelFake();
    fake.partialError = true;
    const error = await failure(connectSentinel(fake).instance.siem!.searchEvents(query()));
    expect(error.code).toBe("BAD_RESPONSE");
    expect(error.message).toMatch(/partial result: PartialError/);
  });

  it("retries a 429 after its Retry-After, and gives up past the budget", async () => {
    fake = await startSentinelFake();
    const { instance, waits } = connectSentinel(fake);
    fake.inject(
      {
        status: 429,
        headers: { "retry-after": "2" },
        body: { error: { code: "TooManyRequests", message: "slow down" } },
      },
      { times: 2, when: (r) => r.path.endsWith("/query") },
    );
    expect(await instance.siem!.searchEvents(query())).toHaveLength(3);
    expect(waits.filter((w) => w >= 2000)).toHaveLength(2);
    fake.inject(
      {
        status: 429,
        headers: { "retry-after": "120" },
        body: { error: { code: "TooManyRequests", message: "slow down" } },
      },
      { times: 5, when: (r) => r.path.endsWith("/query") },
    );
    expect((await failure(instance.siem!.searchEvents(query()))).code).toBe("RATE_LIMITED");
  });

  it("reports a query the service refuses as BAD_INPUT with its error", async () => {
    fake = await startSentinelFake();
    const { instance } = connectSentinel(fake, { datasets: { signin: { table: "NoSuchTable_CL" } } });
    const error = await failure(instance.siem!.searchEvents(query()));
    expect(error.code).toBe("BAD_INPUT");
    expect(error.message).toMatch(/sentinel: POST \/v1\/workspaces\/.*BadArgumentError/);
  });
});
