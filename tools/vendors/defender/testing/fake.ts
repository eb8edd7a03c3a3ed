/**
 * A fake of the Defender for Endpoint API and its Entra token endpoint on 127.0.0.1, seeded from the
 * contract fixture: alerts (OData filter, order, `$top`/`$skip` paging with `@odata.nextLink`,
 * `$expand=evidence`), machines (404 when a list is empty), isolation as an asynchronous machine action
 * (Pending → InProgress → Succeeded, or stuck, or failed), and advanced hunting run for real over its
 * tables. Knobs: refuse the secret, lack a permission (403), answer hunting in Graph's lower case.
 */
import {
  jsonOf,
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
import {
  KqlDate,
  KqlSemanticError,
  runKql,
  type KqlTable,
  type KqlValue,
} from "../../microsoft/testing/kql-engine.ts";
import { KqlSyntaxError } from "../../microsoft/testing/kql-lexer.ts";
import { ticks } from "../../sentinel/testing/seed.ts";
import { clauses, clauseTest } from "./odata-filter.ts";
import { fixtureDetections, fixtureMachines, huntingTables, type Doc } from "./seed.ts";

export const MDE_SCOPE = "https://api.securitycenter.microsoft.com/.default";

export interface DefenderFake extends FakeServer {
  entra: FakeEntra;
  /** Application permissions the app lacks: Alert.Read.All, Machine.Read.All, AdvancedQuery.Read.All, Machine.Isolate. */
  forbid: Set<string>;
  /** Statuses a machine action reports on successive polls; the last one stays. */
  actionProgress: string[];
  /** Answer hunting with `schema`/`results` (Graph's case) instead of `Schema`/`Results`. */
  lowercaseHunting: boolean;
  machineActions: Doc[];
  /** Hunting queries run, as sent. */
  queries: string[];
  config: Record<string, unknown>;
}

const fail = (status: number, code: string, message: string): FakeReply => ({
  status,
  body: { error: { code, message, target: "43f4cb08-8fac-4b65-9db1-745c2ae65f3a" } },
});

const cell = (value: KqlValue): unknown =>
  value instanceof KqlDate ? ticks(new Date(value.ms).toISOString()) : value;

export async function startDefenderFake(
  options: { alerts?: Doc[]; machines?: Doc[]; tables?: Record<string, KqlTable>; pageSize?: number } = {},
): Promise<DefenderFake> {
  const alerts = options.alerts ?? fixtureDetections();
  const machines = options.machines ?? fixtureMachines();
  const tables = options.tables ?? huntingTables();
  const pageSize = options.pageSize ?? 1;
  const entra = fakeEntra();
  const polls = new Map<string, number>();
  let fake: DefenderFake | null = null;
  const state = () => {
    if (!fake) throw new Error("fake not started");
    return fake;
  };

  const guarded =
    (permission: string, handler: (request: FakeRequest) => FakeReply) => (request: FakeRequest) => {
      if (entra.scopeOf(request) !== MDE_SCOPE)
        return fail(401, "Unauthorized", "Authorization token is missing or invalid");
      if (state().forbid.has(permission))
        return fail(
          403,
          "Forbidden",
          `The application does not have any of the required application permissions (${permission}) to access the resource.`,
        );
      return handler(request);
    };

  /** A filtered, ordered, paged OData list; 404 instead of an empty list when `emptyIs404`. */
  const list = (request: FakeRequest, docs: Doc[], orderField: string, emptyIs404 = false): FakeReply => {
    const filter = request.query.get("$filter");
    const tests = filter ? clauses(filter).map(clauseTest) : [];
    if (tests.some((t) => t === null)) return fail(400, "InvalidInput", `Invalid filter: ${filter ?? ""}`);
    let matching = docs.filter((doc) => tests.every((t) => t?.(doc)));
    const order = request.query.get("$orderby");
    if (order) {
      const descending = / desc$/.test(order);
      const at = (d: Doc) => Date.parse(String(d[orderField] ?? ""));
      matching = [...matching].sort((a, b) => (descending ? at(b) - at(a) : at(a) - at(b)));
    }
    if (!matching.length && emptyIs404) return fail(404, "ResourceNotFound", "No machines found");
    const skip = Number(request.query.get("$skip") ?? "0");
    const size = Math.min(pageSize, Number(request.query.get("$top") ?? "10000"));
    const expand = request.query.get("$expand") === "evidence";
    const page = matching
      .slice(skip, skip + size)
      .map((d) => ("evidence" in d && !expand ? { ...d, evidence: [] } : d));
    const next = new URL(`${state().url}${request.path}`);
    request.query.forEach((value, key) => next.searchParams.set(key, value));
    next.searchParams.set("$skip", String(skip + size));
    const more = skip + size < matching.length && skip + size < Number(request.query.get("$top") ?? "10000");
    return {
      body: {
        "@odata.context": "fake",
        value: page,
        ...(more ? { "@odata.nextLink": next.toString() } : {}),
      },
    };
  };

  const machineActions: Doc[] = [];
  const isolatedBy = (machineId: string) => {
    const done = machineActions.filter((a) => a["machineId"] === machineId && a["status"] === "Succeeded");
    return done.at(-1)?.["type"] === "Isolate";
  };

  const server = await startFakeServer([
    entra.route,
    {
      method: "GET",
      path: "/api/alerts",
      handler: guarded("Alert.Read.All", (r) => list(r, alerts, "alertCreationTime")),
    },
    {
      method: "GET",
      path: "/api/alerts/:id",
      handler: guarded("Alert.Read.All", (r) => {
        const alert = alerts.find((a) => a["id"] === r.params.id);
        if (!alert) return fail(404, "ResourceNotFound", `Alert ${r.params.id ?? ""} was not found`);
        return { body: r.query.get("$expand") === "evidence" ? alert : { ...alert, evidence: [] } };
      }),
    },
    {
      method: "GET",
      path: "/api/machines",
      handler: guarded("Machine.Read.All", (r) => list(r, machines, "lastSeen", true)),
    },
    {
      method: "GET",
      path: "/api/machines/:id",
      handler: guarded("Machine.Read.All", (r) => {
        const machine = machines.find((m) => m["id"] === r.params.id);
        return machine
          ? { body: machine }
          : fail(404, "ResourceNotFound", `Machine ${r.params.id ?? ""} was not found`);
      }),
    },
    {
      method: "POST",
      path: "/api/machines/:id/isolate",
      handler: guarded("Machine.Isolate", (r) => {
        const machine = machines.find((m) => m["id"] === r.params.id);
        if (!machine) return fail(404, "ResourceNotFound", `Machine ${r.params.id ?? ""} was not found`);
        const body = jsonOf(r);
        const comment =
          typeof body === "object" && body !== null && "Comment" in body ? body.Comment : undefined;
        const type =
          typeof body === "object" && body !== null && "IsolationType" in body ? body.IsolationType : "Full";
        if (
          typeof comment !== "string" ||
          !comment ||
          !["Full", "Selective", "UnManagedDevice"].includes(String(type))
        )
          return fail(400, "InvalidRequestBody", "Request body is incorrect");
        const active = machineActions.some(
          (a) =>
            a["machineId"] === machine["id"] &&
            a["type"] === "Isolate" &&
            ["Pending", "InProgress"].includes(String(a["status"])),
        );
        if (active || isolatedBy(String(machine["id"])))
          return fail(400, "ActiveRequestAlreadyExists", "Action is already in progress");
        const now = new Date(
          Date.parse("2026-11-03T12:00:00.000Z") + machineActions.length * 1000,
        ).toISOString();
        const action: Doc = {
          id: `ma-${machineActions.length + 1}`,
          type: "Isolate",
          scope: type,
          requestor: FAKE_CLIENT_ID,
          requestorComment: comment,
          status: state().actionProgress[0] ?? "Pending",
          machineId: machine["id"],
          computerDnsName: machine["computerDnsName"],
          creationDateTimeUtc: ticks(now),
          lastUpdateDateTimeUtc: ticks(now),
          relatedFileInfo: null,
        };
        machineActions.push(action);
        return { status: 201, body: action };
      }),
    },
    {
      method: "GET",
      path: "/api/machineactions",
      handler: guarded("Machine.Read.All", (r) => list(r, machineActions, "creationDateTimeUtc")),
    },
    {
      method: "GET",
      path: "/api/machineactions/:id",
      handler: guarded("Machine.Read.All", (r) => {
        const action = machineActions.find((a) => a["id"] === r.params.id);
        if (!action)
          return fail(404, "ResourceNotFound", `Machine action ${r.params.id ?? ""} was not found`);
        const n = (polls.get(String(action["id"])) ?? 0) + 1;
        polls.set(String(action["id"]), n);
        const progress = state().actionProgress;
        action["status"] = progress[Math.min(n, progress.length - 1)] ?? action["status"];
        return { body: action };
      }),
    },
    {
      method: "POST",
      path: "/api/advancedqueries/run",
      handler: guarded("AdvancedQuery.Read.All", (r) => {
        const body = jsonOf(r);
        const query = typeof body === "object" && body !== null && "Query" in body ? body.Query : undefined;
        if (typeof query !== "string") return fail(400, "InvalidRequestBody", "Query is required");
        state().queries.push(query);
        try {
          const result = runKql(query, tables);
          const schema = result.columns.map((c) => ({ Name: c.name, Type: c.type }));
          const rows = result.rows.map((row) =>
            Object.fromEntries(Object.entries(row).map(([k, v]) => [k, cell(v)])),
          );
          return {
            body: state().lowercaseHunting
              ? { schema: schema.map((s) => ({ name: s.Name, type: s.Type })), results: rows }
              : { Schema: schema, Results: rows },
          };
        } catch (e) {
          if (e instanceof KqlSyntaxError || e instanceof KqlSemanticError)
            return fail(400, "BadRequest", e.message);
          throw e;
        }
      }),
    },
  ]);
  fake = {
    ...server,
    entra,
    forbid: new Set(),
    actionProgress: ["Pending", "InProgress", "Succeeded"],
    lowercaseHunting: false,
    machineActions,
    queries: [],
    config: {
      tenantId: FAKE_TENANT,
      clientId: FAKE_CLIENT_ID,
      clientSecretEnv: "DEFENDER_TEST_SECRET",
      loginUrl: server.url,
      baseUrl: server.url,
      scope: MDE_SCOPE,
    },
  };
  return fake;
}
