/**
 * The fake's Elasticsearch: documents with inferred mappings, the query DSL the adapter sends (bool, term,
 * terms, wildcard, range, exists, ids, match_all/none), sort and search_after, and the errors a cluster
 * gives for queries its mappings refuse (case-insensitive term on a long, wildcard on an ip…).
 */
import { isIP } from "node:net";

export interface FakeDoc {
  _id: string;
  _index: string;
  _source: Record<string, unknown>;
}

/** An Elasticsearch error: the server answers {"error":{root_cause,type,reason},"status"}. */
export class FakeEsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Every scalar at a dotted path, through nested objects, dotted keys and arrays. */
export function valuesAt(node: unknown, path: string): Array<string | number | boolean> {
  if (Array.isArray(node)) return node.flatMap((n) => valuesAt(n, path));
  if (!isRecord(node)) return [];
  const out: Array<string | number | boolean> = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === path) {
      for (const v of [value].flat(Infinity))
        if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out.push(v);
    } else if (path.startsWith(`${key}.`)) {
      out.push(...valuesAt(value, path.slice(key.length + 1)));
    }
  }
  return out;
}

/** Leaf paths of a document, for the inferred mapping. */
export function leafPaths(node: unknown, prefix = ""): Array<[string, unknown]> {
  if (Array.isArray(node)) return node.flatMap((n) => leafPaths(n, prefix));
  if (!isRecord(node)) return node === null || node === undefined ? [] : [[prefix, node]];
  return Object.entries(node).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

const DATE_FIELDS = new Set(["@timestamp", "kibana.alert.original_time", "event.created"]);

/** field → type, as dynamic mapping would make it. */
export function inferMapping(docs: readonly FakeDoc[]): Map<string, string> {
  const types = new Map<string, string>();
  for (const doc of docs)
    for (const [path, value] of leafPaths(doc._source)) {
      if (types.has(path)) continue;
      if (typeof value === "number") types.set(path, "long");
      else if (typeof value === "boolean") types.set(path, "boolean");
      else if (DATE_FIELDS.has(path)) types.set(path, "date");
      else if (typeof value === "string" && isIP(value)) types.set(path, "ip");
      else types.set(path, "keyword");
    }
  return types;
}

type Mapping = ReadonlyMap<string, string>;
const bad = (reason: string, type = "query_shard_exception") => new FakeEsError(400, type, reason);

function sameValue(
  actual: string | number | boolean,
  wanted: unknown,
  type: string,
  insensitive: boolean,
): boolean {
  if (insensitive && type !== "keyword")
    throw bad(`[${type}] field does not support case insensitive term queries`);
  switch (type) {
    case "long": {
      const n = Number(wanted);
      if (typeof wanted === "boolean" || Number.isNaN(n))
        throw bad(`For input string: "${String(wanted)}"`, "number_format_exception");
      return Number(actual) === n;
    }
    case "date":
      return (
        Date.parse(String(actual)) === (typeof wanted === "number" ? wanted : Date.parse(String(wanted)))
      );
    case "ip":
      if (!isIP(String(wanted))) throw bad(`'${String(wanted)}' is not an IP string literal.`);
      return String(actual).toLowerCase() === String(wanted).toLowerCase();
    default:
      return insensitive
        ? String(actual).toLowerCase() === String(wanted).toLowerCase()
        : String(actual) === String(wanted);
  }
}

function compare(actual: string | number | boolean, bound: unknown, type: string): number {
  if (type === "long") return Number(actual) - Number(bound);
  if (type === "date")
    return Date.parse(String(actual)) - (typeof bound === "number" ? bound : Date.parse(String(bound)));
  const [a, b] = [String(actual), String(bound)];
  return a < b ? -1 : a > b ? 1 : 0;
}

function wildcardRegExp(pattern: string, insensitive: boolean): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? "";
    if (c === "\\") source += (pattern[++i] ?? "").replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    else if (c === "*") source += "[\\s\\S]*";
    else if (c === "?") source += "[\\s\\S]";
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, insensitive ? "i" : "");
}

function single(clause: unknown, name: string): [string, unknown] {
  if (!isRecord(clause)) throw bad(`[${name}] malformed query`, "parsing_exception");
  const entries = Object.entries(clause);
  const [entry] = entries;
  if (entries.length !== 1 || !entry)
    throw bad(`[${name}] query doesn't support multiple fields`, "parsing_exception");
  return entry;
}

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Whether a document matches a query; throws FakeEsError where Elasticsearch would refuse the query. */
export function matches(query: unknown, doc: FakeDoc, mapping: Mapping): boolean {
  const [kind, body] = single(query, "query");
  const fieldValue = (field: string) => valuesAt(doc._source, field);
  switch (kind) {
    case "match_all":
      return true;
    case "match_none":
      return false;
    case "ids":
      return isRecord(body) && list(body.values).includes(doc._id);
    case "exists": {
      const field = isRecord(body) ? String(body.field) : "";
      return fieldValue(field).length > 0;
    }
    case "bool": {
      if (!isRecord(body)) throw bad("[bool] malformed", "parsing_exception");
      const all = [...list(body.filter), ...list(body.must)];
      const should = list(body.should);
      const minimum = body.minimum_should_match ?? (all.length > 0 ? 0 : should.length > 0 ? 1 : 0);
      return (
        all.every((q) => matches(q, doc, mapping)) &&
        !list(body.must_not).some((q) => matches(q, doc, mapping)) &&
        should.filter((q) => matches(q, doc, mapping)).length >= Number(minimum)
      );
    }
    case "term": {
      const [field, spec] = single(body, "term");
      const value = isRecord(spec) ? spec.value : spec;
      const insensitive = isRecord(spec) && spec.case_insensitive === true;
      const type = mapping.get(field);
      if (type === undefined) return false;
      return fieldValue(field).some((v) => sameValue(v, value, type, insensitive));
    }
    case "terms": {
      const [field, values] = single(body, "terms");
      const type = mapping.get(field);
      if (type === undefined) return false;
      return fieldValue(field).some((v) => list(values).some((w) => sameValue(v, w, type, false)));
    }
    case "wildcard": {
      const [field, spec] = single(body, "wildcard");
      const type = mapping.get(field);
      if (type === undefined) return false;
      if (type !== "keyword")
        throw bad(
          `Can only use wildcard queries on keyword and text fields - not on [${field}] which is of type [${type}]`,
        );
      const pattern = String(isRecord(spec) ? spec.value : spec);
      const re = wildcardRegExp(pattern, isRecord(spec) && spec.case_insensitive === true);
      return fieldValue(field).some((v) => re.test(String(v)));
    }
    case "range": {
      const [field, spec] = single(body, "range");
      const type = mapping.get(field);
      if (type === undefined || !isRecord(spec)) return false;
      return fieldValue(field).some(
        (v) =>
          (spec.gt === undefined || compare(v, spec.gt, type) > 0) &&
          (spec.gte === undefined || compare(v, spec.gte, type) >= 0) &&
          (spec.lt === undefined || compare(v, spec.lt, type) < 0) &&
          (spec.lte === undefined || compare(v, spec.lte, type) <= 0),
      );
    }
    default:
      throw bad(`unknown query [${kind}]`, "parsing_exception");
  }
}

type SortKey = string | number | null;

/** Sort values of a document for a sort spec; `_shard_doc` is its position in the store. */
export function sortValues(sort: unknown, doc: FakeDoc, ordinal: number, mapping: Mapping): SortKey[] {
  return list(sort).map((item) => {
    const [field] = typeof item === "string" ? [item] : single(item, "sort");
    if (field === "_shard_doc") return ordinal;
    const value = valuesAt(doc._source, field)[0];
    if (value === undefined) return null;
    return mapping.get(field) === "date"
      ? Date.parse(String(value))
      : typeof value === "boolean"
        ? String(value)
        : value;
  });
}

/** Ascending comparison of sort tuples; missing values last. */
export function compareSort(a: readonly SortKey[], b: readonly unknown[]): number {
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i] ?? null, b[i] ?? null];
    if (x === y) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    const order = typeof x === "number" && typeof y === "number" ? x - y : String(x) < String(y) ? -1 : 1;
    if (order !== 0) return order;
  }
  return 0;
}
