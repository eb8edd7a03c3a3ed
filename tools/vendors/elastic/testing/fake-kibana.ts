/**
 * The fake Kibana: the detection-alert search (refusing body keys the route does not take, such as
 * search_after or from), kbn-xsrf on POST, spaces under /s/<space> (404 for an unknown one), the
 * detection-engine privileges endpoint, and Kibana's own error body.
 */
import {
  jsonOf,
  startFakeServer,
  type FakeReply,
  type FakeRequest,
  type FakeServer,
} from "../../../testing/fake-http.ts";
import { FakeEsError, type FakeDoc } from "./fake-dsl.ts";
import { denied, isRecord, kibanaError, searchDocs } from "./fake-search.ts";

export interface KibanaFakeOptions {
  authorized: (request: FakeRequest) => boolean;
  space: string;
  privileges: { monitor: boolean; readAlerts: boolean };
  alerts: readonly FakeDoc[];
}

export function startKibanaFake({
  authorized,
  space,
  privileges,
  alerts,
}: KibanaFakeOptions): Promise<FakeServer> {
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

  return startFakeServer([
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
}
