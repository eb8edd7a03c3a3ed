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
import type { Alert, SiemEvent } from "../../../../core/domain.ts";
import { FakeEsError, inferMapping, matches, type FakeDoc } from "./fake-dsl.ts";
import { startKibanaFake } from "./fake-kibana.ts";
import { denied, esError, isRecord, resolve, searchDocs } from "./fake-search.ts";
import { parseEsql, runEsql } from "./fake-esql.ts";
import { alertDocument, buildingBlockDocument, eventDocument } from "./fake-seed.ts";

const minutesAfter = (iso: string, minutes: number) =>
  new Date(Date.parse(iso) + minutes * 60_000).toISOString();

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
  /** Points in time and stored async queries still held, to check the adapter frees them. */
  openPits(): number;
  storedQueries(): number;
  close(): Promise<void>;
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

  const kibana = await startKibanaFake({ authorized, space, privileges, alerts });

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
