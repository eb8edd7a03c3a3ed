import { describe, expect, it } from "vitest";
import { isToolError } from "../../../core/errors.ts";
import { siemQuerySchema, type SiemFilter } from "../../../core/domain.ts";
import { DEFAULT_DATASETS } from "./config.ts";
import { datasetClauses, escapeWildcard, filterClause, siemDsl, timeRange } from "./dsl.ts";
import type { FieldKind } from "./field-caps.ts";

const f = (field: string, op: SiemFilter["op"], value: SiemFilter["value"]): SiemFilter => ({
  field,
  op,
  value,
});
const HOSTILE = 'a"b\\c|d\ne*f?g';

describe("query DSL translation", () => {
  it("compares text case-insensitively and other kinds as their type", () => {
    expect(filterClause(f("user.name", "eq", "BOB@corp.test"), "string")).toEqual({
      term: { "user.name": { value: "BOB@corp.test", case_insensitive: true } },
    });
    expect(filterClause(f("http.response.status_code", "eq", "200"), "number")).toEqual({
      term: { "http.response.status_code": { value: 200 } },
    });
    expect(filterClause(f("http.response.status_code", "eq", "OK"), "number")).toEqual({ match_none: {} });
    expect(filterClause(f("source.ip", "eq", "2001:DB8::1"), "ip")).toEqual({
      term: { "source.ip": { value: "2001:DB8::1" } },
    });
    expect(filterClause(f("source.ip", "eq", "not an ip"), "ip")).toEqual({ match_none: {} });
    expect(filterClause(f("event.created", "eq", "soon"), "date")).toEqual({ match_none: {} });
    expect(filterClause(f("user.enabled", "eq", "TRUE"), "boolean")).toEqual({
      term: { "user.enabled": { value: true } },
    });
    expect(filterClause(f("user.id", "eq", 42), "string")).toEqual({ term: { "user.id": { value: "42" } } });
    // Unmapped: a plain term, which matches nothing and cannot fail on a type.
    expect(filterClause(f("no.such_field", "eq", "x"), undefined)).toEqual({
      term: { "no.such_field": { value: "x" } },
    });
  });

  it("keeps events lacking the field for neq, and ORs the values of in", () => {
    expect(filterClause(f("source.geo.country_iso_code", "neq", "us"), "string")).toEqual({
      bool: {
        must_not: [{ term: { "source.geo.country_iso_code": { value: "us", case_insensitive: true } } }],
      },
    });
    expect(filterClause(f("source.ip", "in", ["45.1.2.3", "bad"]), "ip")).toEqual({
      bool: {
        should: [{ term: { "source.ip": { value: "45.1.2.3" } } }, { match_none: {} }],
        minimum_should_match: 1,
      },
    });
    expect(filterClause(f("user.name", "in", []), "string")).toEqual({ match_none: {} });
  });

  it("escapes wildcard metacharacters in contains, and keeps hostile values as JSON data", () => {
    expect(escapeWildcard("a*b?c\\d")).toBe("a\\*b\\?c\\\\d");
    expect(filterClause(f("url.full", "contains", HOSTILE), "string")).toEqual({
      wildcard: { "url.full": { value: '*a"b\\\\c|d\ne\\*f\\?g*', case_insensitive: true } },
    });
    const clause = filterClause(f("url.full", "contains", HOSTILE), "string");
    expect(JSON.parse(JSON.stringify(clause))).toEqual(clause);
    expect(filterClause(f("url.full", "contains", "x"), undefined)).toEqual({ match_none: {} });
  });

  it("refuses contains on a non-text field and a list outside in, as BAD_INPUT", () => {
    const refused = (filter: SiemFilter, kind: FieldKind) => {
      try {
        filterClause(filter, kind);
      } catch (error) {
        return isToolError(error) ? error.code : "other";
      }
      return "accepted";
    };
    expect(refused(f("http.response.status_code", "contains", "20"), "number")).toBe("BAD_INPUT");
    expect(refused(f("user.name", "eq", ["a", "b"]), "string")).toBe("BAD_INPUT");
  });

  it("builds ranges by kind", () => {
    expect(filterClause(f("http.response.status_code", "gte", 200), "number")).toEqual({
      range: { "http.response.status_code": { gte: 200 } },
    });
    expect(filterClause(f("http.response.status_code", "lte", "abc"), "number")).toEqual({ match_none: {} });
    expect(filterClause(f("event.created", "gte", "2026-11-03T10:00:00Z"), "date")).toEqual({
      range: { "event.created": { gte: "2026-11-03T10:00:00Z" } },
    });
    expect(filterClause(f("x", "gte", 1), undefined)).toEqual({ match_none: {} });
  });

  it("puts the time range in UTC, the dataset filter and every filter under bool.filter", () => {
    const query = siemQuerySchema.parse({
      dataset: "audit",
      from: "2026-11-03T12:00:00+02:00",
      to: "2026-11-03T11:00:00.000Z",
      where: [f("user.name", "eq", "bob")],
    });
    expect(timeRange(query)).toEqual({
      range: {
        "@timestamp": {
          gte: "2026-11-03T10:00:00.000Z",
          lte: "2026-11-03T11:00:00.000Z",
          format: "strict_date_optional_time",
        },
      },
    });
    expect(datasetClauses(DEFAULT_DATASETS.audit)).toEqual([
      { terms: { "event.category": ["iam", "configuration"] } },
    ]);
    expect(siemDsl(query, DEFAULT_DATASETS.audit, new Map([["user.name", "string"]]))).toEqual({
      bool: {
        filter: [
          timeRange(query),
          { terms: { "event.category": ["iam", "configuration"] } },
          { term: { "user.name": { value: "bob", case_insensitive: true } } },
        ],
      },
    });
  });
});
