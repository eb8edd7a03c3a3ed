/**
 * A structured SIEM query as ES|QL: `FROM <index> METADATA _id | WHERE … | SORT @timestamp ASC | LIMIT n`.
 * Values from alerts become double-quoted string literals with `\`, `"`, newline, carriage return and tab
 * escaped (the only characters the ES|QL lexer does not take as they are), so a quote, pipe or newline in a
 * value stays inside its literal; field names are backtick-quoted. Text comparisons go through TO_LOWER for
 * case-insensitivity. The dataset's configured filter is not spliced in here: it goes in the request's DSL
 * `filter`, which also matches ECS array fields (event.category) that ES|QL comparisons would drop.
 *
 * ES|QL refuses a query naming a column no index maps, so a filter on such a field is settled here: eq, in,
 * contains, gte and lte cannot hold (the search is skipped), neq always holds (the filter is dropped).
 * Comparisons on multivalued fields yield null in ES|QL and so never hold: an ES|QL limit, not ours.
 */
import { isIP } from "node:net";
import { ToolError } from "../../../core/errors.ts";
import type { SiemFilter, SiemQuery } from "../../../core/domain.ts";
import { VENDOR } from "./config.ts";
import { escapeWildcard, isNumeric, utcInstant } from "./dsl.ts";
import type { FieldKind, FieldKinds } from "./field-caps.ts";

/** A string literal: the lexer takes any character but `"`, `\`, CR and LF as is; those are escaped. */
export function esqlString(value: string): string {
  const escaped = value.replace(/[\\"\n\r\t]/g, (c) => {
    switch (c) {
      case "\n":
        return "\\n";
      case "\r":
        return "\\r";
      case "\t":
        return "\\t";
      default:
        return `\\${c}`;
    }
  });
  return `"${escaped}"`;
}

/** A backtick-quoted identifier (the whole dotted name, as ES|QL names fields); backticks doubled. */
export function esqlIdentifier(name: string): string {
  return `\`${name.replace(/`/g, "``")}\``;
}

/** A LIKE pattern matching `value` anywhere, with LIKE's own wildcards (`*`, `?`) and `\` escaped first. */
export function esqlContainsPattern(value: string): string {
  return esqlString(`*${escapeWildcard(value)}*`);
}

function esqlNumber(value: number): string {
  if (!Number.isFinite(value))
    throw new ToolError("BAD_INPUT", `${VENDOR}: ${value} is not a finite number`, { vendor: VENDOR });
  return String(value);
}

const FALSE = "false";

/** `field == value` by the field's kind; text case-insensitively. */
function equals(field: string, value: string | number, kind: FieldKind): string {
  const f = esqlIdentifier(field);
  if (typeof value === "number") {
    if (kind === "number") return `${f} == ${esqlNumber(value)}`;
    value = String(value);
  }
  const text = esqlString(value.toLowerCase());
  switch (kind) {
    case "string":
      return `TO_LOWER(${f}) == ${text}`;
    case "number":
      return isNumeric(value) ? `${f} == ${esqlNumber(Number(value))}` : FALSE;
    case "ip":
      return isIP(value) ? `${f} == TO_IP(${esqlString(value)})` : FALSE;
    case "date":
      return Number.isNaN(Date.parse(value))
        ? FALSE
        : `${f} == TO_DATETIME(${esqlString(utcInstant(value, field))})`;
    case "boolean":
    case "other":
      return `TO_LOWER(TO_STRING(${f})) == ${text}`;
  }
}

function bound(value: string | number, kind: FieldKind): string | null {
  switch (kind) {
    case "number": {
      const n = typeof value === "number" ? value : isNumeric(value) ? Number(value) : null;
      return n === null ? null : esqlNumber(n);
    }
    case "date":
      if (typeof value === "number") return `TO_DATETIME(${esqlNumber(value)})`;
      return Number.isNaN(Date.parse(value))
        ? null
        : `TO_DATETIME(${esqlString(utcInstant(value, "bound"))})`;
    case "ip":
      return typeof value === "string" && isIP(value) ? `TO_IP(${esqlString(value)})` : null;
    case "string":
    case "boolean":
    case "other":
      return esqlString(String(value));
  }
}

function scalar(filter: SiemFilter): string | number {
  if (Array.isArray(filter.value))
    throw new ToolError("BAD_INPUT", `${VENDOR}: a list of values needs op "in" (${filter.field})`, {
      vendor: VENDOR,
    });
  return filter.value;
}

/** One filter as an ES|QL condition; null when it always holds (neq on an unmapped field). */
export function esqlCondition(filter: SiemFilter, kind: FieldKind | undefined): string | null {
  const f = esqlIdentifier(filter.field);
  if (kind === undefined) return filter.op === "neq" ? null : FALSE;
  switch (filter.op) {
    case "eq":
      return equals(filter.field, scalar(filter), kind);
    case "neq":
      // ES|QL drops rows where a comparison is null; a SIEM's `!=` keeps events lacking the field.
      return `(${f} IS NULL OR NOT (${equals(filter.field, scalar(filter), kind)}))`;
    case "in": {
      const values = Array.isArray(filter.value) ? filter.value : [filter.value];
      if (values.length === 0) return FALSE;
      if (kind === "string")
        return `TO_LOWER(${f}) IN (${values.map((v) => esqlString(String(v).toLowerCase())).join(", ")})`;
      return `(${values.map((v) => equals(filter.field, v, kind)).join(" OR ")})`;
    }
    case "contains": {
      const pattern = esqlContainsPattern(String(scalar(filter)).toLowerCase());
      return kind === "string"
        ? `TO_LOWER(${f}) LIKE ${pattern}`
        : `TO_LOWER(TO_STRING(${f})) LIKE ${pattern}`;
    }
    case "gte":
    case "lte": {
      const value = bound(scalar(filter), kind);
      return value === null ? FALSE : `${f} ${filter.op === "gte" ? ">=" : "<="} ${value}`;
    }
  }
}

/**
 * The whole query, or null when some filter can never hold (no need to ask). `kinds` must hold
 * every filter field (undefined for an unmapped one).
 */
export function siemEsql(query: SiemQuery, index: string, kinds: FieldKinds): string | null {
  const conditions: string[] = [];
  for (const filter of query.where) {
    const condition = esqlCondition(filter, kinds.get(filter.field));
    if (condition === FALSE) return null;
    if (condition !== null) conditions.push(condition);
  }
  const ts = esqlIdentifier("@timestamp");
  const from = esqlString(utcInstant(query.from, "from"));
  const to = esqlString(utcInstant(query.to, "to"));
  return [
    `FROM ${index} METADATA _id`,
    `WHERE ${ts} >= TO_DATETIME(${from}) AND ${ts} <= TO_DATETIME(${to})`,
    ...(conditions.length > 0 ? [`WHERE ${conditions.join(" AND ")}`] : []),
    `SORT ${ts} ASC`,
    `LIMIT ${query.limit}`,
  ].join("\n| ");
}
