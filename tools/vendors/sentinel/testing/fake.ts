/**
 * A fake of Microsoft Sentinel (ARM incidents), Log Analytics (KQL queries) and the Entra token endpoint
 * on one 127.0.0.1 port, seeded from the contract fixture. It pages incident lists by `nextLink`
 * (`$skipToken`), filters and orders them as ARM does, runs KQL for real over its tables, checks that each
 * API is called with a token for its own scope, and can refuse auth, lack a permission (403) or answer a
 * query with a partial result.
 */
import type { SiemEvent } from "../../../types.ts";
import {
  jsonOf,
  startFakeServer,
  type FakeReply,
  type FakeRequest,
  type FakeServer,
} from "../../../testing/fake-http.ts";
import { FAKE_CLIENT_ID, FAKE_TENANT, fakeEntra, type FakeEntra } from "./fake-entra.ts";
import { KqlDate, KqlSemanticError, runKql, type KqlTable, type KqlValue } from "./kql-engine.ts";
import { KqlSyntaxError } from "./kql-lexer.ts";
import { fixtureIncidents, tablesOf, ticks, type SeedIncident } from "./seed.ts";

export const ARM_SCOPE = "https://management.azure.com/.default";
export const LOG_ANALYTICS_SCOPE = "https://api.loganalytics.io/.default";
export const WORKSPACE = { subscriptionId: "sub-1", resourceGroup: "rg-soc", workspaceName: "ws-soc" };
export const WORKSPACE_ID = "22222222-2222-4222-8222-222222222222";

export interface SentinelFake extends FakeServer {
  entra: FakeEntra;
  /** Answer 403 for incidents (no Sentinel Reader role) or for queries (no Log Analytics Reader role). */
  forbid: { incidents: boolean; query: boolean };
  /** Answer queries with 200, the rows, and a top-level error (a partial result). */
  partialError: boolean;
  /** Queries run, as sent. */
  queries: Array<{ query: string; timespan: string | undefined }>;
  /** The vendor configuration pointing at this fake. */
  config: Record<string, unknown>;
}

const PREFIX = `/subscriptions/${WORKSPACE.subscriptionId}/resourceGroups/${WORKSPACE.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${WORKSPACE.workspaceName}/providers/Microsoft.SecurityInsights`;

const error = (status: number, code: string, message: string): FakeReply => ({
  status,
  body: { error: { code, message } },
});

/** `properties/createdTimeUtc gt 2026-…Z and …`, the only $filter the fake (and our adapter) needs. */
function incidentFilter(filter: string | null): ((created: number) => boolean) | null {
  if (!filter) return () => true;
  const tests: Array<(created: number) => boolean> = [];
  for (const part of filter.split(/\s+and\s+/i)) {
    const match = /^properties\/createdTimeUtc\s+(gt|ge|lt|le)\s+(\S+)$/.exec(part.trim());
    const at = match?.[2] ? Date.parse(match[2]) : Number.NaN;
    if (!match || Number.isNaN(at)) return null;
    const op = match[1];
    tests.push((t) => (op === "gt" ? t > at : op === "ge" ? t >= at : op === "lt" ? t < at : t <= at));
  }
  return (t) => tests.every((test) => test(t));
}

function resource(incident: SeedIncident) {
  return {
    id: `${PREFIX}/Incidents/${incident.name}`,
    name: incident.name,
    etag: `"etag-${incident.name}"`,
    type: "Microsoft.SecurityInsights/Incidents",
    properties: incident.properties,
  };
}

function cell(value: KqlValue): unknown {
  if (value instanceof KqlDate) return ticks(new Date(value.ms).toISOString());
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  return value;
}

function withinTimespan(
  tables: Record<string, KqlTable>,
  timespan: string | undefined,
): Record<string, KqlTable> | null {
  if (timespan === undefined) return tables;
  const [start, end] = timespan.split("/").map((t) => Date.parse(t));
  if (start === undefined || end === undefined || Number.isNaN(start) || Number.isNaN(end)) return null;
  const out: Record<string, KqlTable> = {};
  for (const [name, table] of Object.entries(tables)) {
    const rows = table.rows.filter((row) => {
      const t = typeof row["TimeGenerated"] === "string" ? Date.parse(row["TimeGenerated"]) : Number.NaN;
      return t >= start && t < end;
    });
    out[name] = { columns: table.columns, rows };
  }
  return out;
}

export async function startSentinelFake(
  options: {
    incidents?: SeedIncident[];
    events?: SiemEvent[];
    pageSize?: number;
    tokenLifetimeSeconds?: number;
  } = {},
): Promise<SentinelFake> {
  const incidents = options.incidents ?? fixtureIncidents();
  const tables = tablesOf(options.events);
  const pageSize = options.pageSize ?? 1;
  const entra = fakeEntra(
    options.tokenLifetimeSeconds === undefined ? {} : { lifetimeSeconds: options.tokenLifetimeSeconds },
  );
  let fake: SentinelFake | null = null;
  const state = () => {
    if (!fake) throw new Error("fake not started");
    return fake;
  };

  // ARM: a token for the ARM scope, the api-version, and read permission on the workspace.
  const arm = (handler: (request: FakeRequest) => FakeReply) => (request: FakeRequest) => {
    const scope = entra.scopeOf(request);
    if (scope === null) return error(401, "InvalidAuthenticationToken", "The access token is invalid.");
    if (scope !== ARM_SCOPE)
      return error(
        401,
        "InvalidAuthenticationToken",
        "The access token has been obtained for wrong audience or resource.",
      );
    if (!request.query.get("api-version"))
      return error(
        400,
        "MissingApiVersionParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
      );
    if (state().forbid.incidents)
      return error(
        403,
        "AuthorizationFailed",
        `The client '${FAKE_CLIENT_ID}' does not have authorization to perform action 'Microsoft.SecurityInsights/incidents/read' over scope '${PREFIX}' or the scope is invalid.`,
      );
    return handler(request);
  };
  const find = (request: FakeRequest) => incidents.find((i) => i.name === request.params.id);
  const notFound = (request: FakeRequest) =>
    error(404, "NotFound", `Incident ${request.params.id ?? ""} not found`);
  const entity = (incident: SeedIncident, kind: string, properties: Record<string, unknown>, n: number) => ({
    id: `${PREFIX}/Entities/${incident.name}-${n}`,
    name: `${incident.name}-${n}`,
    type: "Microsoft.SecurityInsights/Entities",
    kind,
    properties,
  });

  const server = await startFakeServer([
    entra.route,
    {
      method: "GET",
      path: `${PREFIX}/incidents`,
      handler: arm((request) => {
        const filter = incidentFilter(request.query.get("$filter"));
        if (!filter) return error(400, "BadRequest", "Invalid $filter");
        const order = request.query.get("$orderby") ?? "properties/createdTimeUtc desc";
        const descending = !/asc$/.test(order);
        const created = (i: SeedIncident) => Date.parse(String(i.properties["createdTimeUtc"]));
        const matching = incidents
          .filter((i) => filter(created(i)))
          .sort((a, b) => (descending ? created(b) - created(a) : created(a) - created(b)));
        const skip = Number(request.query.get("$skipToken") ?? "0");
        const size = Math.min(pageSize, Number(request.query.get("$top") ?? pageSize));
        const page = matching.slice(skip, skip + size);
        const next = new URL(`${state().url}${request.path}`);
        request.query.forEach((value, key) => next.searchParams.set(key, value));
        next.searchParams.set("$skipToken", String(skip + size));
        return {
          body: {
            value: page.map(resource),
            ...(skip + size < matching.length ? { nextLink: next.toString() } : {}),
          },
        };
      }),
    },
    {
      method: "GET",
      path: `${PREFIX}/incidents/:id`,
      handler: arm((request) => {
        const incident = find(request);
        return incident ? { body: resource(incident) } : notFound(request);
      }),
    },
    {
      method: "POST",
      path: `${PREFIX}/incidents/:id/alerts`,
      handler: arm((request) => {
        const incident = find(request);
        if (!incident) return notFound(request);
        return { body: { value: incident.alerts.map((a, n) => entity(incident, a.kind, a.properties, n)) } };
      }),
    },
    {
      method: "POST",
      path: `${PREFIX}/incidents/:id/entities`,
      handler: arm((request) => {
        const incident = find(request);
        if (!incident) return notFound(request);
        const kinds = [...new Set(incident.entities.map((e) => e.kind))];
        return {
          body: {
            entities: incident.entities.map((e, n) => entity(incident, e.kind, e.properties, n + 100)),
            metaData: kinds.map((kind) => ({
              entityKind: kind,
              count: incident.entities.filter((e) => e.kind === kind).length,
            })),
          },
        };
      }),
    },
    {
      method: "POST",
      path: "/v1/workspaces/:workspaceId/query",
      handler: (request) => {
        const laError = (
          status: number,
          code: string,
          message: string,
          inner?: { code: string; message: string },
        ) => ({
          status,
          body: {
            error: {
              message,
              code,
              correlationId: "fake-correlation",
              ...(inner ? { innererror: inner } : {}),
            },
          },
        });
        const scope = entra.scopeOf(request);
        if (scope !== LOG_ANALYTICS_SCOPE)
          return laError(
            401,
            "InvalidTokenError",
            "The provided authentication is not valid for this resource",
          );
        if (request.params.workspaceId !== WORKSPACE_ID)
          return laError(404, "WorkspaceNotFoundError", "The workspace could not be found");
        if (state().forbid.query)
          return laError(
            403,
            "InsufficientAccessError",
            "The provided credentials have insufficient access to perform the requested operation",
          );
        const body = jsonOf(request);
        const query = typeof body === "object" && body !== null && "query" in body ? body.query : undefined;
        const timespan =
          typeof body === "object" && body !== null && "timespan" in body ? body.timespan : undefined;
        if (typeof query !== "string" || (timespan !== undefined && typeof timespan !== "string"))
          return laError(400, "BadArgumentError", "The request had some invalid properties");
        state().queries.push({ query, timespan });
        const scoped = withinTimespan(tables, timespan);
        if (!scoped) return laError(400, "BadArgumentError", "Invalid timespan");
        try {
          const result = runKql(query, scoped);
          return {
            body: {
              tables: [
                {
                  name: "PrimaryResult",
                  columns: result.columns,
                  rows: result.rows.map((row) => result.columns.map((c) => cell(row[c.name] ?? null))),
                },
              ],
              ...(state().partialError
                ? {
                    error: {
                      code: "PartialError",
                      message: "There were some errors when processing your query.",
                      details: [{ message: "Query exceeded memory limit" }],
                    },
                  }
                : {}),
            },
          };
        } catch (e) {
          if (e instanceof KqlSyntaxError || e instanceof KqlSemanticError)
            return laError(400, "BadArgumentError", "The request had some invalid properties", {
              code: e instanceof KqlSyntaxError ? "SyntaxError" : "SemanticError",
              message: e.message,
            });
          throw e;
        }
      },
    },
  ]);
  fake = {
    ...server,
    entra,
    forbid: { incidents: false, query: false },
    partialError: false,
    queries: [],
    config: {
      tenantId: FAKE_TENANT,
      clientId: FAKE_CLIENT_ID,
      clientSecretEnv: "SENTINEL_TEST_SECRET",
      loginUrl: server.url,
      armUrl: server.url,
      armScope: ARM_SCOPE,
      ...WORKSPACE,
      logAnalyticsUrl: server.url,
      logAnalyticsScope: LOG_ANALYTICS_SCOPE,
      workspaceId: WORKSPACE_ID,
    },
  };
  return fake;
}
