/**
 * What the fake Elasticsearch and Kibana share: error bodies, index patterns resolved over the stored
 * documents, and a search (query, sort, search_after, from/size, point-in-time ids).
 */
import type { FakeReply } from "../../../testing/fake-http.ts";
import { compareSort, FakeEsError, inferMapping, matches, sortValues, type FakeDoc } from "./fake-dsl.ts";

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export const esError = (
  status: number,
  type: string,
  reason: string,
  headers: Record<string, string> = {},
): FakeReply => ({
  status,
  headers,
  body: { error: { root_cause: [{ type, reason }], type, reason }, status },
});
export const kibanaError = (statusCode: number, error: string, message: string): FakeReply => ({
  status: statusCode,
  body: { statusCode, error, message },
});
export const denied = (index: string) =>
  `action [indices:data/read/search] is unauthorized for API key id [fake-id] of user [triage] on indices [${index}], this action is granted by the index privileges [read,all]`;

export function resolve(docs: readonly FakeDoc[], pattern: string, ignoreUnavailable = false): FakeDoc[] {
  const names = [...new Set(docs.map((d) => d._index))];
  const wanted = new Set<string>();
  for (const part of pattern.split(",")) {
    const re = new RegExp(`^${part.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
    const hit = names.filter((n) => re.test(n));
    if (hit.length === 0 && !part.includes("*") && !ignoreUnavailable)
      throw new FakeEsError(404, "index_not_found_exception", `no such index [${part}]`);
    hit.forEach((n) => wanted.add(n));
  }
  return docs.filter((d) => wanted.has(d._index));
}

/** A search over documents: query, sort, search_after, size; pit ids rotate on every page. */
export function searchDocs(docs: readonly FakeDoc[], body: Record<string, unknown>, pitId?: string) {
  const mapping = inferMapping(docs);
  const sort = body.sort === undefined ? undefined : [body.sort].flat();
  if (pitId && sort && !sort.some((s) => s === "_shard_doc" || (isRecord(s) && "_shard_doc" in s)))
    sort.push({ _shard_doc: "asc" });
  const query = body.query ?? { match_all: {} };
  let hits = docs.map((doc, ordinal) => ({ doc, keys: sort ? sortValues(sort, doc, ordinal, mapping) : [] }));
  hits = hits.filter((h) => matches(query, h.doc, mapping));
  if (sort) hits.sort((a, b) => compareSort(a.keys, b.keys));
  if (body.search_after !== undefined) {
    const after = [body.search_after].flat();
    if (!sort || after.length !== sort.length)
      throw new FakeEsError(400, "illegal_argument_exception", "search_after has 1 value(s) but sort has 0.");
    hits = hits.filter((h) => compareSort(h.keys, after) > 0);
  }
  const size = typeof body.size === "number" ? body.size : 10;
  const from = typeof body.from === "number" ? body.from : 0;
  if (from + size > 10_000)
    throw new FakeEsError(
      400,
      "illegal_argument_exception",
      "Result window is too large, from + size must be less than or equal to: [10000]",
    );
  const page = hits.slice(from, from + size);
  return {
    took: 1,
    timed_out: false,
    _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
    hits: {
      ...(body.track_total_hits === false ? {} : { total: { value: hits.length, relation: "eq" } }),
      max_score: null,
      hits: page.map((h) => ({
        _index: h.doc._index,
        _id: h.doc._id,
        _score: null,
        _source: h.doc._source,
        ...(sort ? { sort: h.keys } : {}),
      })),
    },
    ...(pitId ? { pit_id: pitId } : {}),
  };
}
