/**
 * A fake of Microsoft Sentinel (ARM incidents), Log Analytics (KQL queries) and the Entra token endpoint
 * on one 127.0.0.1 port, seeded from the contract fixture. It pages incident lists by `nextLink`
 * (`$skipToken`), filters and orders them as ARM does, runs KQL for real over its tables, checks that each
 * API is called with a token for its own scope, and can refuse auth, lack a permission (403) or answer a
 * query with a partial result.
 */
import type { SiemEvent } from "../../../../core/domain.ts";
import {
  startFakeServer,
  type FakeReply,
  type FakeRequest,
  type FakeServer,
} from "../../../testing/fake-http.ts";
import {
  FAKE_CLIENT_ID,
  FAKE_TENANT,
  fakeEntra,
  type FakeEntra,
} from "../../microsoft/testing/fake-entra.ts";
import { LOG_ANALYTICS_SCOPE, logAnalyticsRoute, WORKSPACE_ID } from "./fake-log-analytics.ts";
import { fixtureIncidents, tablesOf, type SeedIncident } from "./seed.ts";

export { LOG_ANALYTICS_SCOPE, WORKSPACE_ID };

export const ARM_SCOPE = "https://management.azure.com/.default";
export const WORKSPACE = { subscriptionId: "sub-1", resourceGroup: "rg-soc", workspaceName: "ws-soc" };

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
    logAnalyticsRoute({ entra, tables, state }),
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
