/**
 * SiemSearch over Elasticsearch, in query DSL (`_search`) or ES|QL (`_query`, asynchronous by default).
 *
 * DSL: one `POST /<index>/_search` when the limit fits a page; otherwise a point in time is opened and
 * pages follow with `search_after` (sorted by @timestamp, then `_shard_doc`), and the point in time is
 * closed afterwards. ES|QL: a LIMIT clause, so one query; an asynchronous one that is still running is
 * polled until it settles or `esqlTimeoutMs` passes, then deleted.
 *
 * Events: id is the document `_id`; timestamp is @timestamp as UTC ISO; fields are the `_source` (or the
 * ES|QL columns) flattened to dotted ECS keys, with several values of one key joined by ", " (flatten.ts).
 * A missing index is "no events", as the port's "none".
 */
import { z } from "zod";
import { ToolError } from "../../../core/errors.ts";
import { orNull, type HttpClient } from "../../http.ts";
import type { CallOptions, SiemSearch } from "../../../core/ports.ts";
import type { SiemEvent, SiemQuery } from "../../../core/domain.ts";
import { pollUntil } from "../poll.ts";
import type { VendorContext } from "../types.ts";
import { VENDOR, type DatasetConfig, type ElasticConfig } from "./config.ts";
import { datasetClauses, siemDsl, type Dsl } from "./dsl.ts";
import { siemEsql } from "./esql.ts";
import { createFieldCaps, type FieldKinds } from "./field-caps.ts";
import { eventFields, flattenDocument, isoInstant, type FlatDocument } from "./flatten.ts";

export const hitSchema = z.object({
  _id: z.string(),
  _index: z.string().nullish(),
  _source: z.record(z.string(), z.unknown()).nullish(),
  sort: z.array(z.unknown()).nullish(),
});
export type Hit = z.infer<typeof hitSchema>;

export const searchResponseSchema = z.object({
  hits: z.object({
    hits: z.array(hitSchema),
    total: z.union([z.number(), z.object({ value: z.number() })]).nullish(),
  }),
  pit_id: z.string().nullish(),
});

const pitSchema = z.object({ id: z.string() });

const esqlResponseSchema = z.object({
  id: z.string().nullish(),
  is_running: z.boolean().nullish(),
  columns: z.array(z.object({ name: z.string(), type: z.string().nullish() })).nullish(),
  values: z.array(z.array(z.unknown())).nullish(),
});
type EsqlResponse = z.infer<typeof esqlResponseSchema>;

const badResponse = (detail: string) =>
  new ToolError("BAD_RESPONSE", `${VENDOR}: ${detail}`, { vendor: VENDOR });

function toEvent(
  id: string,
  flat: FlatDocument,
  dataset: SiemQuery["dataset"],
  fallback?: unknown,
): SiemEvent {
  const timestamp =
    isoInstant(flat.get("@timestamp")?.[0]) ??
    (typeof fallback === "number" ? isoInstant(fallback) : undefined);
  if (!timestamp) throw badResponse(`event ${id} has no readable @timestamp`);
  return { id, timestamp, dataset, fields: eventFields(flat, ["@timestamp", "_id"]) };
}

const hitToEvent = (hit: Hit, dataset: SiemQuery["dataset"]) =>
  toEvent(hit._id, flattenDocument(hit._source ?? {}), dataset, hit.sort?.[0]);

export function createElasticSiem(
  http: HttpClient,
  config: ElasticConfig,
  context: VendorContext,
): SiemSearch {
  const caps = createFieldCaps(http, context.now);
  const signalOf = (options?: CallOptions) => (options?.signal ? { signal: options.signal } : {});

  async function searchDsl(
    query: SiemQuery,
    dataset: DatasetConfig,
    kinds: FieldKinds,
    options?: CallOptions,
  ) {
    const body = { query: siemDsl(query, dataset, kinds), track_total_hits: false };
    if (query.limit <= config.pageSize) {
      const page = await http.json({
        method: "POST",
        path: `/${encodeURIComponent(dataset.index)}/_search`,
        json: { ...body, size: query.limit, sort: [{ "@timestamp": { order: "asc" } }] },
        schema: searchResponseSchema,
        ...signalOf(options),
      });
      return page.hits.hits.map((hit) => hitToEvent(hit, query.dataset));
    }
    let pitId = (
      await http.json({
        method: "POST",
        path: `/${encodeURIComponent(dataset.index)}/_pit`,
        query: { keep_alive: "1m" },
        schema: pitSchema,
        ...signalOf(options),
      })
    ).id;
    const events: SiemEvent[] = [];
    try {
      let after: unknown[] | undefined;
      while (events.length < query.limit) {
        const size = Math.min(config.pageSize, query.limit - events.length);
        const page = await http.json({
          method: "POST",
          path: "/_search",
          json: {
            ...body,
            size,
            sort: [{ "@timestamp": { order: "asc" } }, { _shard_doc: "asc" }],
            pit: { id: pitId, keep_alive: "1m" },
            ...(after ? { search_after: after } : {}),
          },
          schema: searchResponseSchema,
          ...signalOf(options),
        });
        pitId = page.pit_id ?? pitId;
        events.push(...page.hits.hits.map((hit) => hitToEvent(hit, query.dataset)));
        const last = page.hits.hits.at(-1);
        if (page.hits.hits.length < size || !last?.sort) break;
        after = last.sort;
      }
    } finally {
      // A point in time holds segments until it expires; free it now, and never fail the search over it.
      await http
        .json({ method: "DELETE", path: "/_pit", json: { id: pitId }, schema: z.unknown(), retry: false })
        .catch(() => undefined);
    }
    return events;
  }

  function rowsToEvents(response: EsqlResponse, dataset: SiemQuery["dataset"]): SiemEvent[] {
    const columns = response.columns ?? [];
    return (response.values ?? []).map((row) => {
      const flat: FlatDocument = new Map();
      columns.forEach((column, i) => {
        const values = flattenDocument({ value: row[i] }).get("value");
        if (values) flat.set(column.name, values);
      });
      const id = flat.get("_id")?.[0];
      if (id === undefined) throw badResponse("an ES|QL row has no _id column (METADATA _id needs 8.11+)");
      return toEvent(String(id), flat, dataset);
    });
  }

  async function searchEsql(
    query: SiemQuery,
    dataset: DatasetConfig,
    kinds: FieldKinds,
    options?: CallOptions,
  ) {
    const text = siemEsql(query, dataset.index, kinds);
    if (text === null) return [];
    const filter: Dsl | undefined =
      Object.keys(dataset.filter).length > 0 ? { bool: { filter: datasetClauses(dataset) } } : undefined;
    const body = { query: text, ...(filter ? { filter } : {}) };
    const common = { query: { drop_null_columns: "true" }, schema: esqlResponseSchema, ...signalOf(options) };
    if (!config.esqlAsync) {
      return rowsToEvents(
        await http.json({ method: "POST", path: "/_query", json: body, ...common }),
        query.dataset,
      );
    }
    const first = await http.json({
      method: "POST",
      path: "/_query/async",
      json: { ...body, wait_for_completion_timeout: "2s", keep_on_completion: false, keep_alive: "5m" },
      ...common,
    });
    if (!first.is_running || !first.id) return rowsToEvents(first, query.dataset);
    const id = first.id;
    const path = `/_query/async/${encodeURIComponent(id)}`;
    try {
      const done = await pollUntil(
        async () => {
          const now = await http.json({
            path,
            ...common,
            query: { ...common.query, wait_for_completion_timeout: "1s" },
          });
          return now.is_running ? undefined : now;
        },
        {
          vendor: VENDOR,
          what: `ES|QL query ${id}`,
          timeoutMs: config.esqlTimeoutMs,
          ...(context.http?.sleep ? { sleep: context.http.sleep } : {}),
          ...signalOf(options),
        },
      );
      return rowsToEvents(done, query.dataset);
    } finally {
      // Stops the query if it is still running and drops its stored result either way.
      await http.json({ method: "DELETE", path, schema: z.unknown(), retry: false }).catch(() => undefined);
    }
  }

  return {
    vendor: VENDOR,
    async searchEvents(query, options) {
      const dataset = config.datasets[query.dataset];
      const fields = query.where.map((f) => f.field);
      if (config.language === "esql") {
        // @timestamp is asked for too: unmapped, no index of the pattern exists and ES|QL would refuse FROM.
        const kinds = await caps.kinds(dataset.index, ["@timestamp", ...fields], options?.signal);
        if (kinds.get("@timestamp") === undefined) return [];
        return searchEsql(query, dataset, kinds, options);
      }
      const kinds: FieldKinds =
        fields.length > 0 ? await caps.kinds(dataset.index, fields, options?.signal) : new Map();
      // A missing index answers 404 index_not_found_exception: no events, as a pattern matching nothing.
      return (await orNull(searchDsl(query, dataset, kinds, options))) ?? [];
    },
  };
}
