/**
 * Structured queries → SPL. Values come from alerts, so they are untrusted: a value made only of plain
 * characters becomes a quoted search term (index-assisted, and case-insensitive as SPL search terms are);
 * any other value (quotes, backslashes, pipes, wildcards, backticks, control characters…) is matched in a
 * `where` clause by an anchored case-insensitive regex that reaches SPL percent-encoded inside
 * `urldecode("…")`, so no character of it can close a string, start a command or expand a macro. The only
 * pipes in the output are the ones written here.
 */
import { ToolError } from "../../../core/errors.ts";
import type { SiemFilter, SiemQuery } from "../../../core/domain.ts";
import type { ResolvedDataset } from "./config.ts";

/** Characters that mean nothing to SPL inside a quoted search term (no `*`, `"`, `\`, `` ` ``, `|`, `[`, `$`). */
const PLAIN = /^[\p{L}\p{N} @._:/+,#%&?!~'=-]*$/u;

const isPlain = (value: string) => PLAIN.test(value);

/** An SPL string literal holding any text: percent-encoded, decoded by Splunk at search time. */
export function textLiteral(value: string): string {
  // A lone surrogate (valid in JSON, not in UTF-8) cannot be percent-encoded; it becomes U+FFFD.
  const wellFormed = value.replace(
    /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    "\ufffd",
  );
  return `urldecode("${encodeURIComponent(wellFormed)}")`;
}

function escapeRegex(value: string): string {
  // Metacharacters outside a character class (we never write one), so - and / stay as they are.
  return value.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
}

/** A where-clause regex match on a field, case-insensitive, as a literal no value can break out of. */
function matches(field: string, pattern: string): string {
  return `match(${fieldRef(field)}, ${textLiteral(`(?i)${pattern}`)})`;
}

/** Field names in eval expressions are single-quoted (dots would otherwise be operators). */
export function fieldRef(field: string): string {
  return `'${field}'`;
}

/** One filter as a search term, a where condition, or a verdict on every event. */
export type Clause = { term: string } | { where: string } | "all" | "none";

const NUMERIC = /^-?\d+(\.\d+)?$/;

export function translateFilter(filter: SiemFilter, splunkField: string): Clause {
  const f = splunkField;
  const { value } = filter;
  switch (filter.op) {
    case "eq": {
      if (Array.isArray(value)) return "none";
      const v = String(value);
      return isPlain(v) ? { term: `${f}="${v}"` } : { where: matches(f, `^${escapeRegex(v)}$`) };
    }
    case "neq": {
      // NOT field="v" keeps events without the field, as field!="v" would not.
      if (Array.isArray(value)) return "all";
      const v = String(value);
      return isPlain(v)
        ? { term: `NOT ${f}="${v}"` }
        : { where: `(isnull(${fieldRef(f)}) OR NOT ${matches(f, `^${escapeRegex(v)}$`)})` };
    }
    case "in": {
      const list = Array.isArray(value) ? value : [String(value)];
      if (list.length === 0) return "none";
      if (list.every(isPlain)) return { term: `${f} IN (${list.map((v) => `"${v}"`).join(", ")})` };
      return { where: matches(f, `^(?:${list.map(escapeRegex).join("|")})$`) };
    }
    case "contains": {
      if (Array.isArray(value)) return "none";
      const v = String(value);
      if (v === "") return { term: `${f}=*` };
      return isPlain(v) ? { term: `${f}="*${v}*"` } : { where: matches(f, escapeRegex(v)) };
    }
    case "gte":
    case "lte": {
      if (Array.isArray(value)) return "none";
      const op = filter.op === "gte" ? ">=" : "<=";
      if (typeof value === "number" ? Number.isFinite(value) : NUMERIC.test(value))
        return { where: `tonumber(${fieldRef(f)})${op}${Number(value)}` };
      if (typeof value === "number") return "none";
      // Text compares as text (ISO timestamps of one format order correctly).
      return { where: `${fieldRef(f)}${op}${textLiteral(value)}` };
    }
  }
}

/** Epoch seconds with milliseconds, the form earliest_time/latest_time and `_time` take. */
export function epochSeconds(iso: string, plusMs = 0): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new ToolError("BAD_INPUT", `splunk: not an ISO 8601 timestamp: ${iso}`);
  return ((ms + plusMs) / 1000).toFixed(3);
}

function anyOf(field: string, values: readonly string[]): string[] {
  if (values.length === 0) return [];
  if (values.length === 1) return [`${field}="${values[0] ?? ""}"`];
  return [`(${values.map((v) => `${field}="${v}"`).join(" OR ")})`];
}

/** The dataset's events: its indexes, sourcetypes, tags and extra terms. */
function selection(dataset: ResolvedDataset): string[] {
  return [
    ...anyOf("index", dataset.index),
    ...anyOf("sourcetype", dataset.sourcetype),
    ...dataset.tag.map((t) => `tag="${t}"`),
    ...(dataset.filter ? [dataset.filter] : []),
  ];
}

/** The search string and time bounds of a job. */
export interface SplSearch {
  search: string;
  earliest: string;
  latest?: string;
}

/**
 * A SIEM query: the dataset's indexes/sourcetypes/tags and the filters, oldest first, at most `limit`.
 * The range is inclusive: latest_time is exclusive in Splunk, so it is `to` plus one millisecond (our
 * timestamps' resolution). null when a filter can match nothing, so no search need run.
 */
export function siemSearch(query: SiemQuery, dataset: ResolvedDataset): SplSearch | null {
  const terms = selection(dataset);
  const wheres: string[] = [];
  for (const filter of query.where) {
    const clause = translateFilter(filter, dataset.fields[filter.field] ?? filter.field);
    if (clause === "none") return null;
    if (clause === "all") continue;
    if ("term" in clause) terms.push(clause.term);
    else wheres.push(clause.where);
  }
  const where = wheres.length > 0 ? ` | where ${wheres.join(" AND ")}` : "";
  return {
    search: `search ${terms.join(" ")}${where} | sort ${query.limit} _time`,
    earliest: epochSeconds(query.from),
    latest: epochSeconds(query.to, 1),
  };
}

/**
 * The start of a notable search. Searches sent over REST start with `search` (or `|`); plain terms take
 * ours inline, while a macro (which may expand to a pipeline) or a pipeline gets them in `| search`.
 */
function notablePipeline(base: string, terms: readonly string[]): string {
  const trimmed = base.trim();
  const start = trimmed.startsWith("|") ? trimmed : `search ${trimmed}`;
  if (terms.length === 0) return start;
  return /[`|]/.test(trimmed) ? `${start} | search ${terms.join(" ")}` : `${start} ${terms.join(" ")}`;
}

/** Any one event of a dataset in a range (probes): `head` stops at the first, where a sort reads all. */
export function datasetProbe(dataset: ResolvedDataset, from: string, to: string): SplSearch {
  return {
    search: `search ${selection(dataset).join(" ")} | head 1`,
    earliest: epochSeconds(from),
    latest: epochSeconds(to),
  };
}

/** Any one notable since a time (probes). */
export function notableProbe(base: string, since: string): SplSearch {
  return { search: `${notablePipeline(base, [])} | head 1`, earliest: epochSeconds(since) };
}

/** One notable by its event_id, over all time (earliest_time 0). */
export function notableById(base: string, eventId: string): SplSearch {
  const clause = translateFilter({ field: "event_id", op: "eq", value: eventId }, "event_id");
  const terms = typeof clause === "object" && "term" in clause ? [clause.term] : [];
  const where = typeof clause === "object" && "where" in clause ? ` | where ${clause.where}` : "";
  return { search: `${notablePipeline(base, terms)}${where} | head 1`, earliest: "0" };
}

/**
 * Notables created strictly after `since`, oldest first. earliest_time is inclusive, so `where _time>`
 * drops the one at `since` itself without skipping one a fraction of a millisecond later.
 */
export function notablesSince(base: string, since: string | undefined, limit: number): SplSearch {
  const after = since === undefined ? "" : ` | where _time>${epochSeconds(since)}`;
  return {
    search: `${notablePipeline(base, [])}${after} | sort ${limit} _time`,
    earliest: since === undefined ? "0" : epochSeconds(since),
  };
}
