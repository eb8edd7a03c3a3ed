/**
 * A fake Falcon API on 127.0.0.1: the OAuth2 token endpoint (201; 403 for a wrong secret), bearer checks
 * (401 with the envelope), the Alerts, Hosts and ThreatGraph endpoints the adapter calls, with FQL filters,
 * offset paging at a small page size, containment that settles after a number of host reads, and knobs for
 * `triage doctor` tests: refuse every login, or answer 403 on one API as a client without that scope would.
 */
import {
  formOf,
  jsonOf,
  startFakeServer,
  type FakeReply,
  type FakeRequest,
  type FakeServer,
} from "../../../testing/fake-http.ts";
import { matchesFql, parseFql } from "./fake-fql.ts";
import { fixtureWorld, type FalconDoc } from "./seed.ts";

export const FAKE_CLIENT_ID = "fake-client-id";
export const FAKE_CLIENT_SECRET = "fake-client-secret";

export interface FalconFakeOptions {
  world?: ReturnType<typeof fixtureWorld>;
  /** Most resources a query page holds, whatever `limit` asks: small, so paging is exercised. */
  pageSize?: number;
  /** Reads of a host in containment_pending before it reports contained; Infinity never settles. */
  containAfterPolls?: number;
  /** APIs answered with 403, as for an API client without their scope. */
  forbid?: ReadonlyArray<"alerts" | "hosts" | "contain" | "threatgraph">;
  refuseAuth?: boolean;
  tokenTtlSeconds?: number;
  groups?: ReadonlyArray<{ id: string; name: string }>;
}

export interface FalconFake extends FakeServer {
  /** Tokens issued so far. */
  issued(): number;
  /** Forget every token, as an expiry or revocation would. */
  revokeTokens(): void;
  device(id: string): FalconDoc | undefined;
}

const HEADERS = { "x-ratelimit-limit": "6000", "x-ratelimit-remaining": "5999", "x-cs-region": "us-1" };

function ok(resources: unknown[], status = 200, pagination?: Record<string, number>): FakeReply {
  return {
    status,
    headers: HEADERS,
    body: {
      meta: { query_time: 0.01, powered_by: "fake", trace_id: "t-1", ...(pagination ? { pagination } : {}) },
      errors: [],
      resources,
    },
  };
}

function failure(status: number, message: string): FakeReply {
  return {
    status,
    headers: HEADERS,
    body: { meta: { query_time: 0.01, trace_id: "t-1" }, errors: [{ code: status, message }], resources: [] },
  };
}

export async function startFalconFake(options: FalconFakeOptions = {}): Promise<FalconFake> {
  const world = options.world ?? fixtureWorld();
  const alerts = world.alerts.map((a) => ({ ...a }));
  const devices = new Map(world.devices.map((d) => [String(d.device_id), { ...d }]));
  const pendingReads = new Map<string, number>();
  const pageSize = options.pageSize ?? 1;
  const forbid = new Set(options.forbid ?? []);
  const tokens = new Set<string>();
  let issued = 0;

  const authorized = (request: FakeRequest) =>
    tokens.has((request.headers.authorization ?? "").replace(/^Bearer /, ""));

  /** Query endpoints: filter, sort, offset paging. */
  function query(request: FakeRequest, docs: FalconDoc[], idKey: string): FakeReply {
    let selected = docs;
    const filter = request.query.get("filter");
    if (filter) {
      try {
        const node = parseFql(filter);
        selected = docs.filter((d) => matchesFql(node, d));
      } catch (error) {
        return failure(400, `Invalid filter: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    const [sortField, direction] = (request.query.get("sort") ?? "").split(/[|.]/);
    if (sortField) {
      const key = (d: FalconDoc) => String(d[sortField] ?? "");
      selected = [...selected].sort(
        (a, b) =>
          (Date.parse(key(a)) - Date.parse(key(b)) || key(a).localeCompare(key(b))) *
          (direction === "desc" ? -1 : 1),
      );
    }
    const offset = Number(request.query.get("offset") ?? 0);
    const limit = Math.min(Number(request.query.get("limit") ?? 100), pageSize);
    const page = selected.slice(offset, offset + limit).map((d) => String(d[idKey]));
    return ok(page, 200, { offset, limit, total: selected.length });
  }

  function readDevice(id: string): FalconDoc | undefined {
    const device = devices.get(id);
    if (device?.status === "containment_pending") {
      const reads = (pendingReads.get(id) ?? 0) + 1;
      pendingReads.set(id, reads);
      if (reads > (options.containAfterPolls ?? 1)) device.status = "contained";
    }
    return device;
  }

  const guarded =
    (api: "alerts" | "hosts" | "contain" | "threatgraph", handler: (r: FakeRequest) => FakeReply) =>
    (request: FakeRequest) => {
      if (!authorized(request)) return failure(401, "access denied, invalid bearer token");
      if (forbid.has(api)) return failure(403, "access denied, authorization failed");
      return handler(request);
    };

  const server = await startFakeServer([
    {
      method: "POST",
      path: "/oauth2/token",
      handler: (request) => {
        const form = formOf(request);
        if (
          options.refuseAuth ||
          form.get("client_id") !== FAKE_CLIENT_ID ||
          form.get("client_secret") !== FAKE_CLIENT_SECRET
        )
          return failure(403, "access denied, authorization failed");
        const token = `falcon-token-${++issued}`;
        tokens.add(token);
        return {
          status: 201,
          headers: HEADERS,
          body: { access_token: token, token_type: "bearer", expires_in: options.tokenTtlSeconds ?? 1799 },
        };
      },
    },
    {
      method: "GET",
      path: "/alerts/queries/alerts/v2",
      handler: guarded("alerts", (r) => query(r, alerts, "composite_id")),
    },
    {
      method: "POST",
      path: "/alerts/entities/alerts/v2",
      handler: guarded("alerts", (request) => {
        const body = jsonOf(request);
        const ids =
          typeof body === "object" &&
          body !== null &&
          "composite_ids" in body &&
          Array.isArray(body.composite_ids)
            ? body.composite_ids
            : null;
        if (!ids) return failure(400, "composite_ids is required");
        const found = alerts.filter((a) => ids.includes(a.composite_id));
        return found.length > 0 ? ok(found) : failure(404, "no alerts found for the given ids");
      }),
    },
    {
      method: "GET",
      path: "/devices/queries/devices/v1",
      handler: guarded("hosts", (r) => query(r, [...devices.values()], "device_id")),
    },
    {
      method: "GET",
      path: "/devices/entities/devices/v2",
      handler: guarded("hosts", (request) => {
        const found = request.query
          .getAll("ids")
          .map(readDevice)
          .filter((d): d is FalconDoc => d !== undefined);
        return found.length > 0 ? ok(found) : failure(404, "no devices found");
      }),
    },
    {
      method: "POST",
      path: "/devices/entities/devices-actions/v2",
      handler: guarded("contain", (request) => {
        if (request.query.get("action_name") !== "contain") return failure(400, "unsupported action_name");
        const body = jsonOf(request);
        const ids =
          typeof body === "object" && body !== null && "ids" in body && Array.isArray(body.ids)
            ? body.ids.map(String)
            : [];
        const targets = ids.map((id) => devices.get(id)).filter((d): d is FalconDoc => d !== undefined);
        if (targets.length === 0) return failure(404, "no devices found");
        for (const d of targets) if (d.status === "normal") d.status = "containment_pending";
        return ok(
          targets.map((d) => ({ id: d.device_id, path: "" })),
          202,
        );
      }),
    },
    {
      method: "GET",
      path: "/devices/entities/host-groups/v1",
      handler: guarded("hosts", (request) =>
        ok((options.groups ?? []).filter((g) => request.query.getAll("ids").includes(g.id))),
      ),
    },
    {
      method: "GET",
      path: "/threatgraph/combined/processes/summary/v1",
      handler: guarded("threatgraph", (request) => {
        const vertex = world.vertices.get(request.query.get("ids") ?? "");
        return vertex ? ok([vertex]) : failure(404, "vertex not found");
      }),
    },
    {
      method: "GET",
      path: "/threatgraph/queries/edge-types/v1",
      handler: guarded("threatgraph", () => ok(["child_process", "parent_process", "ipv4", "ipv6"])),
    },
  ]);
  return {
    ...server,
    issued: () => issued,
    revokeTokens: () => tokens.clear(),
    device: (id) => devices.get(id),
  };
}
