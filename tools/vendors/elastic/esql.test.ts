import { describe, expect, it } from "vitest";
import { siemQuerySchema, type SiemFilter } from "../../../core/domain.ts";
import { esqlCondition, esqlContainsPattern, esqlIdentifier, esqlString, siemEsql } from "./esql.ts";
import type { FieldKind } from "./field-caps.ts";
import { FakeEsError, type FakeDoc } from "./testing/fake-dsl.ts";
import { parseEsql, runEsql } from "./testing/fake-esql.ts";

const f = (field: string, op: SiemFilter["op"], value: SiemFilter["value"]): SiemFilter => ({
  field,
  op,
  value,
});
const HOSTILE = 'x" | DROP user.name | WHERE "1" == "1\\\n\r\t`*?';

describe("ES|QL translation", () => {
  it("escapes string literals as the ES|QL lexer reads them, and quotes identifiers", () => {
    expect(esqlString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(esqlString("line\nnext\r\ttab|pipe")).toBe('"line\\nnext\\r\\ttab|pipe"');
    expect(esqlIdentifier("user.name")).toBe("`user.name`");
    expect(esqlIdentifier("we`ird")).toBe("`we``ird`");
    expect(esqlContainsPattern("50%*off?\\")).toBe('"*50%\\\\*off\\\\?\\\\\\\\*"');
  });

  it("writes the whole query: FROM with METADATA _id, time in UTC, filters, SORT and LIMIT", () => {
    const query = siemQuerySchema.parse({
      dataset: "signin",
      from: "2026-11-03T12:00:00+02:00",
      to: "2026-11-03T11:00:00Z",
      where: [f("user.name", "eq", "Bob"), f("source.geo.country_iso_code", "neq", "US")],
      limit: 5,
    });
    const kinds = new Map<string, FieldKind>([
      ["user.name", "string"],
      ["source.geo.country_iso_code", "string"],
    ]);
    expect(siemEsql(query, "logs-*", kinds)).toBe(
      [
        "FROM logs-* METADATA _id",
        'WHERE `@timestamp` >= TO_DATETIME("2026-11-03T10:00:00.000Z") AND `@timestamp` <= TO_DATETIME("2026-11-03T11:00:00.000Z")',
        'WHERE TO_LOWER(`user.name`) == "bob" AND (`source.geo.country_iso_code` IS NULL OR NOT (TO_LOWER(`source.geo.country_iso_code`) == "us"))',
        "SORT `@timestamp` ASC",
        "LIMIT 5",
      ].join("\n| "),
    );
  });

  it("compares by the field's kind", () => {
    expect(esqlCondition(f("http.response.status_code", "eq", "200"), "number")).toBe(
      "`http.response.status_code` == 200",
    );
    expect(esqlCondition(f("http.response.status_code", "gte", 200), "number")).toBe(
      "`http.response.status_code` >= 200",
    );
    expect(esqlCondition(f("source.ip", "in", ["45.1.2.3", "nope"]), "ip")).toBe(
      '(`source.ip` == TO_IP("45.1.2.3") OR false)',
    );
    expect(esqlCondition(f("event.created", "lte", "2026-11-03T12:00:00+02:00"), "date")).toBe(
      '`event.created` <= TO_DATETIME("2026-11-03T10:00:00.000Z")',
    );
    expect(esqlCondition(f("url.domain", "contains", "EVIL"), "string")).toBe(
      'TO_LOWER(`url.domain`) LIKE "*evil*"',
    );
    expect(esqlCondition(f("http.response.status_code", "contains", "20"), "number")).toBe(
      'TO_LOWER(TO_STRING(`http.response.status_code`)) LIKE "*20*"',
    );
  });

  it("skips the search when a filter on an unmapped field cannot hold, and drops neq on one", () => {
    const base = { dataset: "signin", from: "2026-11-03T10:00:00Z", to: "2026-11-03T11:00:00Z" };
    const none = new Map<string, FieldKind | undefined>([["no.such_field", undefined]]);
    expect(
      siemEsql(siemQuerySchema.parse({ ...base, where: [f("no.such_field", "eq", "x")] }), "logs-*", none),
    ).toBeNull();
    const dropped = siemEsql(
      siemQuerySchema.parse({ ...base, where: [f("no.such_field", "neq", "x")] }),
      "logs-*",
      none,
    );
    expect(dropped).not.toContain("no.such_field");
  });

  it("keeps hostile values inside their literals: the query parses to the same commands", () => {
    const query = siemQuerySchema.parse({
      dataset: "signin",
      from: "2026-11-03T10:00:00Z",
      to: "2026-11-03T11:00:00Z",
      where: [
        f("user.name", "eq", HOSTILE),
        f("url.full", "contains", HOSTILE),
        f("user.id", "in", [HOSTILE, "b"]),
      ],
      limit: 7,
    });
    const kinds = new Map<string, FieldKind>([
      ["user.name", "string"],
      ["url.full", "string"],
      ["user.id", "string"],
    ]);
    const text = siemEsql(query, "logs-*", kinds) ?? "";
    const plan = parseEsql(text);
    expect(plan.where).toHaveLength(2);
    expect(plan.limit).toBe(7);
    expect([...plan.columns].sort()).toEqual(["@timestamp", "url.full", "user.id", "user.name"]);
    // Evaluated, the literal equals the hostile value exactly (lower-cased), and no other row matches.
    const doc = (id: string, value: string): FakeDoc => ({
      _id: id,
      _index: "logs-x",
      _source: {
        "@timestamp": "2026-11-03T10:30:00Z",
        user: { name: value, id: value },
        url: { full: `https://a/${value}` },
      },
    });
    const mapping = new Map([
      ["@timestamp", "date"],
      ["user.name", "keyword"],
      ["user.id", "keyword"],
      ["url.full", "keyword"],
    ]);
    const result = runEsql(plan, [doc("hit", HOSTILE.toUpperCase()), doc("miss", "x")], mapping);
    expect(result.values.map((row) => row[0])).toEqual(["hit"]);
  });

  it("is refused by the fake's lexer when a value is spliced raw (the check the tests rely on)", () => {
    expect(() => parseEsql(`FROM logs-* | WHERE user.name == "${'a"b'}"`)).toThrow(FakeEsError);
    expect(() => parseEsql(`FROM logs-* | WHERE user.name == "${"a\nb"}"`)).toThrow(FakeEsError);
  });
});
