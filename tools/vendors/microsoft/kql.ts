/**
 * KQL (Kusto) building blocks for values that come from alerts, and the SIEM filters in KQL. Every value is
 * a quoted literal with its escapes applied, so a quote, backslash, pipe or newline in it stays data: it
 * can never end the literal and start a new pipeline stage.
 */
import { ToolError } from "../../../core/errors.ts";
import type { SiemFilter } from "../../../core/domain.ts";

const ESCAPES: Readonly<Record<string, string>> = {
  "\\": "\\\\",
  '"': '\\"',
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

// KQL documents escapes for quotes, backslash, tab, CR and LF only; other control characters are refused
// rather than sent raw into the query text.
function unquotable(value: string): boolean {
  for (const c of value) {
    const code = c.charCodeAt(0);
    if ((code < 0x20 && c !== "\t" && c !== "\n" && c !== "\r") || code === 0x7f) return true;
  }
  return false;
}

/** A double-quoted KQL string literal holding exactly `value`. */
export function kqlString(value: string, vendor: string): string {
  if (unquotable(value))
    throw new ToolError("BAD_INPUT", `${vendor}: a query value holds a control character KQL cannot quote`, {
      vendor,
    });
  return `"${value.replace(/[\\"\n\r\t]/g, (c) => ESCAPES[c] ?? c)}"`;
}

/** A KQL datetime literal for an instant (always UTC, from our own formatting, never from input text). */
export function kqlDatetime(ms: number): string {
  return `datetime(${new Date(ms).toISOString()})`;
}

/** A bracketed KQL column name, so dotted ECS names (`user.name`) are single columns. */
export function kqlName(name: string): string {
  return `['${name.replace(/[\\']/g, (c) => `\\${c}`)}']`;
}

/** A finite number as a KQL real literal. */
function kqlNumber(value: number, vendor: string): string {
  if (!Number.isFinite(value))
    throw new ToolError("BAD_INPUT", `${vendor}: ${value} is not a finite number`, { vendor });
  return `real(${String(value)})`;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * One SIEM filter over a column expression as a KQL condition. `true` when it constrains nothing (neq on a
 * field the table does not have), `false` when nothing can match (any other operator on such a field, or
 * an operator given the wrong kind of value), as the lab answers. Comparisons are type-blind and
 * case-insensitive (`=~`, `in~`, `contains`), since a column may hold "200" or 200.
 */
export function kqlCondition(
  column: string | undefined,
  filter: SiemFilter,
  vendor: string,
): string | boolean {
  const { op, value } = filter;
  if (column === undefined) return op === "neq";
  const text = (v: string | number) => kqlString(String(v), vendor);
  const asText = `tostring(${column})`;
  switch (op) {
    case "eq":
      return Array.isArray(value) ? false : `${asText} =~ ${text(value)}`;
    case "neq":
      return Array.isArray(value) ? true : `${asText} !~ ${text(value)}`;
    case "in": {
      const options = Array.isArray(value) ? value : [value];
      return options.length === 0 ? false : `${asText} in~ (${options.map(text).join(", ")})`;
    }
    case "contains":
      return Array.isArray(value) ? false : `${asText} contains ${text(value)}`;
    case "gte":
    case "lte": {
      if (Array.isArray(value)) return false;
      const cmp = op === "gte" ? ">=" : "<=";
      const numeric = typeof value === "number" ? value : value.trim() === "" ? Number.NaN : Number(value);
      if (Number.isFinite(numeric)) return `todouble(${column}) ${cmp} ${kqlNumber(numeric, vendor)}`;
      if (typeof value === "string" && ISO_INSTANT.test(value) && !Number.isNaN(Date.parse(value)))
        return `todatetime(${column}) ${cmp} ${kqlDatetime(Date.parse(value))}`;
      return `strcmp(${asText}, ${text(value)}) ${cmp} 0`;
    }
  }
}
