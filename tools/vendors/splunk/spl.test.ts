import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isToolError } from "../../../core/errors.ts";
import { siemQuerySchema, type SiemFilter, type SiemQueryInput } from "../../../core/domain.ts";
import { resolveDataset, splunkConfigSchema } from "./config.ts";
import { notableById, notablesSince, siemSearch, translateFilter } from "./spl.ts";
import { runSpl, tokenize } from "./testing/fake-spl.ts";

const config = splunkConfigSchema.parse({ baseUrl: "https://splunk.test:8089" });
const window = { from: "2026-11-03T10:00:00.000Z", to: "2026-11-03T11:00:00.000Z" };
const spl = (q: Partial<SiemQueryInput>, c = config) => {
  const query = siemQuerySchema.parse({ dataset: "signin", ...window, ...q });
  return siemSearch(query, resolveDataset(c, query.dataset));
};

describe("SIEM queries as SPL", () => {
  it("selects the dataset by CIM tag, maps ECS names, keeps plain values as search terms", () => {
    const out = spl({
      limit: 50,
      where: [
        { field: "user.name", op: "eq", value: "Bob@corp.test" },
        { field: "source.geo.country_iso_code", op: "neq", value: "US" },
        { field: "source.ip", op: "in", value: ["45.1.2.3", "192.0.2.11"] },
        { field: "url.domain", op: "contains", value: "evil" },
        { field: "http.response.status_code", op: "gte", value: 200 },
        { field: "custom.field", op: "lte", value: "2026-11-03" },
      ],
    });
    expect(out).toEqual({
      search:
        'search index="*" tag="authentication" user="Bob@corp.test" NOT src_country="US" ' +
        'src IN ("45.1.2.3", "192.0.2.11") url_domain="*evil*" ' +
        `| where tonumber('status')>=200 AND 'custom.field'<=urldecode("2026-11-03") | sort 50 _time`,
      // latest_time is exclusive: one millisecond past `to` keeps the range inclusive.
      earliest: "1793700000.000",
      latest: "1793703600.001",
    });
  });

  it("uses the configured indexes, sourcetypes, extra terms and field names of a dataset", () => {
    const custom = splunkConfigSchema.parse({
      baseUrl: "https://splunk.test:8089",
      siem: {
        datasets: {
          signin: {
            index: ["azure", "okta"],
            sourcetype: ["ms:aad:signin"],
            tag: [],
            filter: "`cim_Authentication_indexes`",
            fields: { "user.name": "userPrincipalName" },
          },
        },
        fields: { "source.ip": "ipAddress" },
      },
    });
    const out = spl(
      {
        where: [
          { field: "user.name", op: "eq", value: "bob" },
          { field: "source.ip", op: "eq", value: "1.2.3.4" },
        ],
      },
      custom,
    );
    expect(out?.search).toBe(
      'search (index="azure" OR index="okta") sourcetype="ms:aad:signin" `cim_Authentication_indexes` ' +
        'userPrincipalName="bob" ipAddress="1.2.3.4" | sort 100 _time',
    );
  });

  it("rejects config that could splice commands into every search", () => {
    const bad = (datasets: unknown) =>
      splunkConfigSchema.safeParse({ baseUrl: "https://s:8089", siem: { datasets } }).success;
    expect(bad({ signin: { filter: "x | delete" } })).toBe(false);
    expect(bad({ signin: { index: ['main" | delete'] } })).toBe(false);
    expect(bad({ signin: { fields: { "user.name": "user | delete" } } })).toBe(false);
    expect(bad({ signin: { index: ["main", "wineventlog*"] } })).toBe(true);
  });

  it("answers without a search when a filter can match nothing", () => {
    expect(spl({ where: [{ field: "source.ip", op: "in", value: [] }] })).toBeNull();
    expect(spl({ where: [{ field: "user.name", op: "eq", value: ["a"] }] })).toBeNull();
    expect(spl({ where: [{ field: "user.name", op: "neq", value: ["a"] }] })?.search).toBe(
      'search index="*" tag="authentication" | sort 100 _time',
    );
  });

  it("matches hostile values by regex inside urldecode, never as SPL", () => {
    const hostile = 'x" | delete index=main \\ `notable` [search *]\nok';
    const out = spl({ where: [{ field: "user.name", op: "eq", value: hostile }] });
    expect(out?.search).toBe(
      `search index="*" tag="authentication" | where match('user', urldecode("(%3Fi)%5Ex%22%20%5C%7C%20delete%20index%3Dmain%20%5C%5C%20%60notable%60%20%5C%5Bsearch%20%5C*%5C%5D%0Aok%24")) | sort 100 _time`,
    );
    expect(tokenize(out?.search ?? "").filter((t) => t.kind === "pipe")).toHaveLength(2);
  });

  it("keeps a wildcard in a value literal instead of matching anything", () => {
    const clause = translateFilter({ field: "user.name", op: "eq", value: "*" }, "user");
    expect(clause).toEqual({ where: `match('user', urldecode("(%3Fi)%5E%5C*%24"))` });
  });

  it("compares numbers numerically and text as text", () => {
    expect(translateFilter({ field: "f", op: "lte", value: "404" }, "f")).toEqual({
      where: "tonumber('f')<=404",
    });
    expect(translateFilter({ field: "f", op: "gte", value: 'a"b' }, "f")).toEqual({
      where: `'f'>=urldecode("a%22b")`,
    });
  });

  it("rejects a time that is not ISO 8601", () => {
    const error = (() => {
      try {
        return notablesSince("index=notable", "yesterday", 10);
      } catch (e) {
        return e;
      }
    })();
    expect(isToolError(error) && error.code).toBe("BAD_INPUT");
  });
});

describe("notable searches", () => {
  it("finds one notable by event_id over all time", () => {
    expect(notableById("index=notable", "A1B2@@notable@@c3d4")).toEqual({
      search: 'search index=notable event_id="A1B2@@notable@@c3d4" | head 1',
      earliest: "0",
    });
    expect(notableById("`notable`", "x|y").search).toBe(
      `search \`notable\` | where match('event_id', urldecode("(%3Fi)%5Ex%5C%7Cy%24")) | head 1`,
    );
  });

  it("lists notables strictly after the watermark, oldest first", () => {
    expect(notablesSince("`notable`", "2026-11-03T10:00:00.000Z", 25)).toEqual({
      search: "search `notable` | where _time>1793700000.000 | sort 25 _time",
      earliest: "1793700000.000",
    });
    expect(notablesSince("| from datamodel:Risk", undefined, 5).search).toBe(
      "| from datamodel:Risk | sort 5 _time",
    );
  });
});

describe("any value, through the fake's Splunk tokenizer", () => {
  const rowWith = (value: string) => ({
    time: 1793700000,
    fields: { user: value, index: "main", tag: ["authentication"] },
  });
  const found = (filter: SiemFilter, value: string) => {
    const out = spl({ where: [filter] });
    if (!out) return false;
    const names = tokenize(out.search).filter((t, i, all) => i === 0 || all[i - 1]?.kind === "pipe");
    expect(names.map((t) => t.value).every((n) => ["search", "where", "sort"].includes(n))).toBe(true);
    return runSpl(out.search, [rowWith(value)], { earliest: undefined, latest: undefined }).length === 1;
  };
  // SPL's own characters, often; and any Unicode (well-formed: a lone surrogate is made U+FFFD).
  const special = fc.constantFrom(..."\"\\|*`'[]()$^.?+%= \n\r\t\0aZé");
  const value = fc.oneof(
    fc.string({ unit: special, maxLength: 30 }),
    fc.string({ unit: "binary", maxLength: 30 }).filter((v) => !/[\ud800-\udfff]/.test(v)),
    fc.string({ unit: "grapheme", maxLength: 30 }),
  );

  it("eq finds exactly the value, whatever its characters", () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(found({ field: "user.name", op: "eq", value: v }, v)).toBe(true);
        expect(found({ field: "user.name", op: "eq", value: v }, `${v}x`)).toBe(false);
        expect(found({ field: "user.name", op: "neq", value: v }, v)).toBe(false);
        expect(found({ field: "user.name", op: "in", value: ["zzz", v] }, v)).toBe(true);
        expect(found({ field: "user.name", op: "contains", value: v }, `<${v}>`)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
