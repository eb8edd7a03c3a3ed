/**
 * A fake Elasticsearch and a fake Kibana (two servers on 127.0.0.1), seeded from the contract fixture.
 * Elasticsearch: API-key auth (401 security_exception with WWW-Authenticate), `_search` with from/size,
 * sort, points in time (rotating ids) and search_after, `_field_caps`, ES|QL sync and async (running for a
 * set number of polls), 404 index_not_found_exception, 403 for a missing privilege, error bodies as a
 * cluster writes them. Kibana: the detection-alert search (refusing keys it does not take, such as
 * search_after), kbn-xsrf on POST, spaces (404 for an unknown one), the privileges endpoint, its own error
 * body. Throttling is `inject`ed by tests (429 es_rejected_execution_exception, no Retry-After).
 */
import { FIXTURE } from "../../../lab/testing/fixture.ts";
import {
  jsonOf,
  startFakeServer,
  type FakeReply,
  type FakeRequest,
  type FakeServer,
} from "../../../testing/fake-http.ts";
import type { Alert, SiemEvent } from "../../../types.ts";
import { compareSort, FakeEsError, inferMapping, matches, sortValues, type FakeDoc } from "./fake-dsl.ts";
import { parseEsql, runEsql } from "./fake-esql.ts";
import { alertDocument, buildingBlockDocument, eventDocument } from "./fake-seed.ts";

export const FAKE_API_KEY = "ZmFrZS1pZDpmYWtlLXNlY3JldA==";

export interface ElasticFakeOptions {
  apiKey?: string;
  space?: string;
  events?: readonly SiemEvent[];
  /** More event documents as stored (arrays, dotted keys…). */
  eventDocs?: readonly FakeDoc[];
  alerts?: readonly Alert[];
  /** More alert documents as stored (default: one building-block alert). */
  alertDocs?: readonly FakeDoc[];
  refuseAuth?: boolean;
  privileges?: { monitor?: boolean; readEvents?: boolean; readAlerts?: boolean };
  /** Polls an asynchronous ES|QL query reports is_running for; Infinity never finishes. */
  esqlRunningPolls?: number;
}

export interface ElasticFake {
  elasticsearch: FakeServer;
  kibana: FakeServer;
  openPits(): number;
  storedQueries(): number;
  close(): Promise<void>;
}

const minutesAfter = (iso: string, minutes: number) =>
  new Date(Date.parse(iso) + minutes * 60_000).toISOString();

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const esError = (
  status: number,
  type: string,
  reason: string,
  headers: Record<string, string> = {},
): FakeReply => ({
  status,
  headers,
  body: { error: { root_cause: [{ type, reason }], type, reason }, status },
});
const kibanaError = (statusCode: number, error: string, message: string): FakeReply => ({
  status: statusCode,
  body: { statusCode, error, message },
});
const denied = (index: string) =>
  `action [indices:data/read/search] is unauthorized for API key id [fake-id] of user [triage] on indices [${index}], this action is granted by the index privileges [read,all]`;

function resolve(docs: readonly FakeDoc[], pattern: string, ignoreUnavailable = false): FakeDoc[] {
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
function searchDocs(docs: readonly FakeDoc[], body: Record<string, unknown>, pitId?: string) {
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

export async function startElasticFake(options: ElasticFakeOptions = {}): Promise<ElasticFake> {
  const apiKey = options.apiKey ?? FAKE_API_KEY;
  const space = options.space ?? "default";
  const privileges = { monitor: true, readEvents: true, readAlerts: true, ...options.privileges };
  const events = [...(options.events ?? FIXTURE.events).map(eventDocument), ...(options.eventDocs ?? [])];
  const alerts = [
    ...(options.alerts ?? FIXTURE.alerts).map((a) => alertDocument(a, space)),
    ...(options.alertDocs ?? [
      buildingBlockDocument(minutesAfter(FIXTURE.alerts[0]?.createdAt ?? FIXTURE.window.from, 10), space),
    ]),
  ];
  const pits = new Map<string, FakeDoc[]>();
  let pitCounter = 0;
  const queries = new Map<string, { result: Record<string, unknown>; pollsLeft: number }>();
  let queryCounter = 0;

  const authorized = (request: FakeRequest) =>
    !options.refuseAuth && request.headers.authorization === `ApiKey ${apiKey}`;

  /** Elasticsearch route: auth first, then the handler; FakeEsError becomes the cluster's error body. */
  const es =
    (
      handler: (request: FakeRequest, body: Record<string, unknown>) => Record<string, unknown>,
      read = true,
    ) =>
    (request: FakeRequest): FakeReply => {
      if (!authorized(request)) {
        const reason = request.headers.authorization
          ? "unable to authenticate with provided credentials and anonymous access is not allowed for this request"
          : `missing authentication credentials for REST request [${request.path}]`;
        return esError(401, "security_exception", reason, {
          "www-authenticate": 'ApiKey, Basic realm="security"',
        });
      }
      if (read && !privileges.readEvents)
        return esError(403, "security_exception", denied(request.params.index ?? "*"));
      try {
        const body = jsonOf(request);
        return { body: handler(request, isRecord(body) ? body : {}) };
      } catch (error) {
        if (error instanceof FakeEsError) return esError(error.status, error.type, error.reason);
        throw error;
      }
    };

  const esqlResult = (request: FakeRequest, body: Record<string, unknown>) => {
    const plan = parseEsql(String(body.query ?? ""));
    let docs: FakeDoc[];
    try {
      docs = resolve(events, plan.sources.join(","));
    } catch {
      throw new FakeEsError(
        400,
        "verification_exception",
        `Found 1 problem\nline 1:1: Unknown index [${plan.sources.join(",")}]`,
      );
    }
    if (docs.length === 0)
      throw new FakeEsError(
        400,
        "verification_exception",
        `Found 1 problem\nline 1:1: Unknown index [${plan.sources.join(",")}]`,
      );
    const mapping = inferMapping(docs);
    const filtered = body.filter === undefined ? docs : docs.filter((d) => matches(body.filter, d, mapping));
    const { columns, values } = runEsql(plan, filtered, mapping);
    if (request.query.get("drop_null_columns") !== "true")
      return { took: 2, is_partial: false, columns, values };
    const keep = columns.map((_, i) => values.some((row) => row[i] !== null));
    return {
      took: 2,
      is_partial: false,
      all_columns: columns,
      columns: columns.filter((_, i) => keep[i]),
      values: values.map((row) => row.filter((_, i) => keep[i])),
    };
  };

  const elasticsearch = await startFakeServer([
    {
      method: "GET",
      path: "/",
      handler: es(() => {
        if (!privileges.monitor)
          throw new FakeEsError(
            403,
            "security_exception",
            "action [cluster:monitor/main] is unauthorized for API key id [fake-id] of user [triage], this action is granted by the cluster privileges [monitor,manage,all]",
          );
        return {
          name: "fake-node",
          cluster_name: "fake-cluster",
          version: { number: "8.15.0" },
          tagline: "You Know, for Search",
        };
      }, false),
    },
    {
      method: "POST",
      path: "/:index/_search",
      handler: es((request, body) => {
        if (body.pit !== undefined)
          throw new FakeEsError(
            400,
            "illegal_argument_exception",
            "[indices] cannot be used with point in time. Do not specify any index with point in time.",
          );
        return searchDocs(resolve(events, request.params.index ?? ""), body);
      }),
    },
    {
      method: "POST",
      path: "/_search",
      handler: es((_request, body) => {
        const pit = isRecord(body.pit) ? String(body.pit.id) : undefined;
        const docs = pit === undefined ? events : pits.get(pit);
        if (!docs)
          throw new FakeEsError(
            404,
            "search_context_missing_exception",
            `No search context found for id [${pit}]`,
          );
        let next: string | undefined;
        if (pit !== undefined) {
          next = `pit-${++pitCounter}`;
          pits.delete(pit);
          pits.set(next, docs);
        }
        return searchDocs(docs, body, next);
      }),
    },
    {
      method: "POST",
      path: "/:index/_pit",
      handler: es((request) => {
        if (!request.query.get("keep_alive"))
          throw new FakeEsError(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: [keep_alive] is not specified;",
          );
        const id = `pit-${++pitCounter}`;
        pits.set(id, resolve(events, request.params.index ?? ""));
        return { id };
      }),
    },
    {
      method: "DELETE",
      path: "/_pit",
      handler: es((_request, body) => ({ succeeded: pits.delete(String(body.id)), num_freed: 1 })),
    },
    {
      method: "GET",
      path: "/:index/_field_caps",
      handler: es((request) => {
        const docs = resolve(
          events,
          request.params.index ?? "",
          request.query.get("ignore_unavailable") === "true",
        );
        const mapping = inferMapping(docs);
        const fields: Record<string, unknown> = {};
        for (const field of (request.query.get("fields") ?? "").split(",")) {
          const type = mapping.get(field);
          if (type)
            fields[field] = { [type]: { type, metadata_field: false, searchable: true, aggregatable: true } };
        }
        return { indices: [...new Set(docs.map((d) => d._index))], fields };
      }),
    },
    { method: "POST", path: "/_query", handler: es((request, body) => esqlResult(request, body)) },
    {
      method: "POST",
      path: "/_query/async",
      handler: es((request, body) => {
        const result = esqlResult(request, body);
        const running = options.esqlRunningPolls ?? 0;
        if (running === 0 && body.keep_on_completion !== true) return { ...result, is_running: false };
        const id = `esql-${++queryCounter}`;
        queries.set(id, { result, pollsLeft: running });
        return running === 0 ? { id, is_running: false, ...result } : { id, is_running: true };
      }),
    },
    {
      method: "GET",
      path: "/_query/async/:id",
      handler: es((request) => {
        const id = request.params.id ?? "";
        const stored = queries.get(id);
        if (!stored) throw new FakeEsError(404, "resource_not_found_exception", id);
        if (stored.pollsLeft > 0) {
          stored.pollsLeft--;
          return { id, is_running: true };
        }
        return { id, is_running: false, ...stored.result };
      }),
    },
    {
      method: "DELETE",
      path: "/_query/async/:id",
      handler: es((request) => {
        if (!queries.delete(request.params.id ?? ""))
          throw new FakeEsError(404, "resource_not_found_exception", request.params.id ?? "");
        return { acknowledged: true };
      }),
    },
  ]);

  const ALLOWED_KEYS = new Set([
    "query",
    "aggs",
    "size",
    "track_total_hits",
    "_source",
    "fields",
    "runtime_mappings",
    "sort",
    "include_attacks",
  ]);
  /** Kibana route, in the default space and under /s/<space>. */
  const kibanaRoutes = (method: string, path: string, handler: (request: FakeRequest) => FakeReply) =>
    [path, `/s/:space${path}`].map((p) => ({
      method,
      path: p,
      handler: (request: FakeRequest): FakeReply => {
        if (!authorized(request))
          return kibanaError(
            401,
            "Unauthorized",
            "[security_exception\n\tRoot causes:\n\t\tsecurity_exception: unable to authenticate with provided credentials and anonymous access is not allowed for this request]: unable to authenticate with provided credentials and anonymous access is not allowed for this request",
          );
        if (method !== "GET" && !request.headers["kbn-xsrf"])
          return kibanaError(400, "Bad Request", "Request must contain a kbn-xsrf header.");
        if ((request.params.space ?? "default") !== space)
          return kibanaError(
            404,
            "Not Found",
            `Saved object [space/${request.params.space ?? ""}] not found`,
          );
        return handler(request);
      },
    }));

  const kibana = await startFakeServer([
    ...kibanaRoutes("POST", "/api/detection_engine/signals/search", (request) => {
      const body = jsonOf(request);
      if (!isRecord(body)) return kibanaError(400, "Bad Request", "[request body]: expected object");
      const unknown = Object.keys(body).filter((k) => !ALLOWED_KEYS.has(k));
      if (unknown.length > 0)
        return kibanaError(
          400,
          "Bad Request",
          `[request body]: Unrecognized key(s) in object: ${unknown.map((k) => `'${k}'`).join(", ")}`,
        );
      if (!privileges.readAlerts)
        return kibanaError(
          403,
          "Forbidden",
          `security_exception\n\tRoot causes:\n\t\tsecurity_exception: ${denied(`.alerts-security.alerts-${space}`)}`,
        );
      try {
        return { body: searchDocs(alerts, body) };
      } catch (error) {
        if (error instanceof FakeEsError)
          return kibanaError(error.status, "Bad Request", `${error.type}: ${error.reason}`);
        throw error;
      }
    }),
    ...kibanaRoutes("GET", "/api/detection_engine/privileges", () => ({
      body: {
        username: "triage",
        has_all_requested: false,
        cluster: { monitor: privileges.monitor, manage: false },
        index: {
          [`.alerts-security.alerts-${space}`]: {
            read: privileges.readAlerts,
            write: false,
            view_index_metadata: false,
            maintenance: false,
            manage: false,
          },
        },
        application: {},
        is_authenticated: true,
        has_encryption_key: true,
      },
    })),
  ]);

  return {
    elasticsearch,
    kibana,
    openPits: () => pits.size,
    storedQueries: () => queries.size,
    close: async () => {
      await Promise.all([elasticsearch.close(), kibana.close()]);
    },
  };
}
