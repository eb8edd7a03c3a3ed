/**
 * A structured SIEM query as Elasticsearch query DSL. Values come from alerts, so they only ever appear as
 * JSON values (never spliced into a query string); wildcard patterns escape `\`, `*` and `?`. Matching is
 * case-insensitive on text fields (`case_insensitive: true` on term and wildcard); on numbers, IPs and dates,
 * where Elasticsearch refuses case-insensitive queries, the value is compared as that type, and a value that
 * cannot be one (a word against a long) matches nothing instead of failing the search.
 */
import { isIP } from "node:net";
import { ToolError } from "../../../core/errors.ts";
import type { SiemFilter, SiemQuery } from "../../../core/domain.ts";
import { VENDOR, type DatasetConfig } from "./config.ts";
import type { FieldKind, FieldKinds } from "./field-caps.ts";
import { queryInstant } from "../time.ts";

export type Dsl = Record<string, unknown>;

const MATCH_NONE: Dsl = { match_none: {} };

/** A value for a Lucene wildcard pattern, matched literally. */
export function escapeWildcard(value: string): string {
  return value.replace(/[\\*?]/g, (c) => `\\${c}`);
}

export function isNumeric(value: string): boolean {
  return /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.trim());
}

/** UTC ISO 8601 of a bound; the query schema has already checked it is a timestamp. */
export function utcInstant(value: string, name: string): string {
  return new Date(queryInstant(value, name, VENDOR)).toISOString();
}

/** The configured dataset filter: term for one value, terms for several. */
export function datasetClauses(dataset: DatasetConfig): Dsl[] {
  return Object.entries(dataset.filter).map(([field, value]) =>
    Array.isArray(value) ? { terms: { [field]: value } } : { term: { [field]: value } },
  );
}

export function timeRange(query: Pick<SiemQuery, "from" | "to">): Dsl {
  return {
    range: {
      "@timestamp": {
        gte: utcInstant(query.from, "from"),
        lte: utcInstant(query.to, "to"),
        format: "strict_date_optional_time",
      },
    },
  };
}

const term = (field: string, value: string | number | boolean, caseInsensitive = false): Dsl => ({
  term: { [field]: caseInsensitive ? { value, case_insensitive: true } : { value } },
});

/** Equality for one value, by the field's kind. */
function equals(field: string, value: string | number, kind: FieldKind | undefined): Dsl {
  // A field no index maps matches nothing; a plain term says so without risking a type error.
  if (kind === undefined) return term(field, value);
  if (typeof value === "number") return term(field, kind === "string" ? String(value) : value);
  switch (kind) {
    case "string":
      return term(field, value, true);
    case "number":
      return isNumeric(value) ? term(field, Number(value)) : MATCH_NONE;
    case "ip":
      return isIP(value) ? term(field, value) : MATCH_NONE;
    case "date":
      return Number.isNaN(Date.parse(value)) ? MATCH_NONE : term(field, value);
    case "boolean": {
      const word = value.trim().toLowerCase();
      return word === "true" || word === "false" ? term(field, word === "true") : MATCH_NONE;
    }
    case "other":
      return term(field, value);
  }
}

/** The bound of a range by the field's kind, or null when the value cannot be one. */
function rangeBound(value: string | number, kind: FieldKind): string | number | null {
  if (typeof value === "number") return kind === "string" ? String(value) : value;
  switch (kind) {
    case "number":
      return isNumeric(value) ? Number(value) : null;
    case "ip":
      return isIP(value) ? value : null;
    case "date":
      return Number.isNaN(Date.parse(value)) ? null : value;
    case "string":
    case "boolean":
    case "other":
      return value;
  }
}

function scalar(filter: SiemFilter): string | number {
  if (Array.isArray(filter.value))
    throw new ToolError("BAD_INPUT", `${VENDOR}: a list of values needs op "in" (${filter.field})`, {
      vendor: VENDOR,
    });
  return filter.value;
}

/** One filter as a DSL clause for bool.filter. */
export function filterClause(filter: SiemFilter, kind: FieldKind | undefined): Dsl {
  const { field } = filter;
  switch (filter.op) {
    case "eq":
      return equals(field, scalar(filter), kind);
    case "neq":
      // must_not keeps events that lack the field, as `field != x` does in a SIEM.
      return { bool: { must_not: [equals(field, scalar(filter), kind)] } };
    case "in": {
      const values = Array.isArray(filter.value) ? filter.value : [filter.value];
      if (values.length === 0) return MATCH_NONE;
      return { bool: { should: values.map((v) => equals(field, v, kind)), minimum_should_match: 1 } };
    }
    case "contains": {
      const value = String(scalar(filter));
      if (kind === undefined) return MATCH_NONE;
      if (kind !== "string")
        throw new ToolError(
          "BAD_INPUT",
          `${VENDOR}: "contains" needs a text field; ${field} is ${kind} (use eq, in, gte or lte)`,
          { vendor: VENDOR },
        );
      return { wildcard: { [field]: { value: `*${escapeWildcard(value)}*`, case_insensitive: true } } };
    }
    case "gte":
    case "lte": {
      if (kind === undefined) return MATCH_NONE;
      const bound = rangeBound(scalar(filter), kind);
      return bound === null ? MATCH_NONE : { range: { [field]: { [filter.op]: bound } } };
    }
  }
}

/** The whole query: time range, dataset filter and every filter, all required. */
export function siemDsl(query: SiemQuery, dataset: DatasetConfig, kinds: FieldKinds): Dsl {
  return {
    bool: {
      filter: [
        timeRange(query),
        ...datasetClauses(dataset),
        ...query.where.map((f) => filterClause(f, kinds.get(f.field))),
      ],
    },
  };
}
