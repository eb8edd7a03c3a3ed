/**
 * Process trees from Falcon ThreatGraph (API scope "Threatgraph: read"): GET
 * /threatgraph/combined/processes/summary/v1?ids=pid:<aid>:<process id>&scope=device answers one process
 * vertex with its `properties` and its `edges` (parent_process, child_process, ipv4/ipv6 connections). The
 * tree is walked one vertex per request: up the parent chain, then down the children level by level.
 *
 * The endpoint is in CrowdStrike's API spec, but the vertex's property names are not documented there: the
 * ones read here (CommandLine, ImageFileName, RawProcessId, SHA256HashData, UserName, ProcessStartTime, and
 * RemoteAddressIP4/RemotePort on connection edges) are Falcon's sensor event field names, seen in public
 * integrations. Every one is optional. Falcon records no code signer on a process, so `signer` is null.
 */
import { z } from "zod";
import { orNull, type HttpClient } from "../../http.ts";
import type { CallOptions } from "../../../core/ports.ts";
import type { NetworkConnection, ProcessRecord, ProcessTree } from "../../../core/domain.ts";
import { envelope, isoInstant, needing } from "./client.ts";
import { plausibleName } from "./fql.ts";

const MAX_DEPTH = 32;
const MAX_PROCESSES = 200;

const propertiesSchema = z.record(z.string(), z.unknown()).nullish();
const edgeSchema = z.object({
  object_id: z.string().nullish(),
  device_id: z.string().nullish(),
  timestamp: z.string().nullish(),
  properties: propertiesSchema,
});
const vertexSchema = z.object({
  object_id: z.string().nullish(),
  device_id: z.string().nullish(),
  vertex_type: z.string().nullish(),
  timestamp: z.string().nullish(),
  properties: propertiesSchema,
  edges: z.record(z.string(), z.array(edgeSchema).nullish()).nullish(),
});
type Vertex = z.infer<typeof vertexSchema>;
type Properties = z.infer<typeof propertiesSchema>;

function str(properties: Properties, key: string): string | null {
  const value = properties?.[key];
  if (typeof value === "string" && value !== "") return value;
  return typeof value === "number" ? String(value) : null;
}

function int(properties: Properties, key: string): number | null {
  const value = Number(str(properties, key));
  return Number.isInteger(value) && str(properties, key) !== null ? value : null;
}

/** Event times are epoch seconds (with a fraction); vertex and edge timestamps are ISO strings. */
function instant(
  properties: Properties,
  key: string,
  fallback: string | null | undefined,
  what: string,
): string {
  const seconds = Number(str(properties, key));
  if (str(properties, key) !== null && Number.isFinite(seconds))
    return new Date(Math.round(seconds * 1000)).toISOString();
  return isoInstant(fallback ?? "", what);
}

const edgesOf = (vertex: Vertex, type: string) => vertex.edges?.[type] ?? [];

async function fetchVertex(http: HttpClient, hostId: string, processId: string, options?: CallOptions) {
  if (!plausibleName(hostId) || !plausibleName(processId)) return null;
  const page = await needing(
    "Threatgraph:read",
    orNull(
      http.json({
        path: "/threatgraph/combined/processes/summary/v1",
        query: { ids: `pid:${hostId}:${processId}`, scope: "device" },
        schema: envelope(vertexSchema),
        ...(options?.signal ? { signal: options.signal } : {}),
      }),
    ),
  );
  return page?.resources[0] ?? null;
}

function toProcess(vertex: Vertex, id: string, hostId: string): ProcessRecord {
  const p = vertex.properties;
  return {
    id,
    parentId: edgesOf(vertex, "parent_process")[0]?.object_id ?? null,
    hostId: vertex.device_id ?? hostId,
    // RawProcessId is the operating system's pid; a vertex without one gets 0 rather than a made-up number.
    pid: int(p, "RawProcessId") ?? 0,
    image: str(p, "ImageFileName") ?? str(p, "FileName") ?? "",
    commandLine: str(p, "CommandLine") ?? "",
    user: str(p, "UserName"),
    sha256: str(p, "SHA256HashData")?.toLowerCase() ?? null,
    signer: null,
    startedAt: instant(p, "ProcessStartTime", vertex.timestamp, `process ${id} start time`),
  };
}

function connectionsOf(vertex: Vertex, processId: string): NetworkConnection[] {
  return ["ipv4", "ipv6"].flatMap((type) =>
    edgesOf(vertex, type).flatMap((edge): NetworkConnection[] => {
      const p = edge.properties;
      const remoteIp = str(p, "RemoteAddressIP4") ?? str(p, "RemoteAddressIP6");
      if (!remoteIp || (!edge.timestamp && str(p, "ContextTimeStamp") === null)) return [];
      return [
        {
          processId,
          remoteIp,
          remotePort: int(p, "RemotePort") ?? 0,
          remoteDomain: null,
          timestamp: instant(p, "ContextTimeStamp", edge.timestamp, `connection of ${processId}`),
        },
      ];
    }),
  );
}

/** The process, all its ancestors and descendants, and their connections; null when ThreatGraph has no such process. */
export async function falconProcessTree(
  http: HttpClient,
  hostId: string,
  processId: string,
  options?: CallOptions,
): Promise<ProcessTree | null> {
  const start = await fetchVertex(http, hostId, processId, options);
  if (!start) return null;
  const seen = new Map<string, Vertex>([[processId, start]]);
  const ancestors: Array<[string, Vertex]> = [];
  let current = start;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const parentId = edgesOf(current, "parent_process")[0]?.object_id;
    // A parent already met is a cycle in the data; stop there.
    if (!parentId || seen.has(parentId)) break;
    const parent = await fetchVertex(http, hostId, parentId, options);
    if (!parent) break;
    seen.set(parentId, parent);
    ancestors.unshift([parentId, parent]);
    current = parent;
  }
  const descendants: Array<[string, Vertex]> = [];
  let level: Array<[string, Vertex]> = [[processId, start]];
  for (let depth = 0; depth < MAX_DEPTH && level.length > 0 && seen.size < MAX_PROCESSES; depth++) {
    const childIds = [
      ...new Set(level.flatMap(([, v]) => edgesOf(v, "child_process").flatMap((e) => e.object_id ?? []))),
    ]
      .filter((id) => !seen.has(id))
      .slice(0, MAX_PROCESSES - seen.size);
    const children = await Promise.all(childIds.map((id) => fetchVertex(http, hostId, id, options)));
    level = childIds.flatMap((id, i): Array<[string, Vertex]> => {
      const child = children[i];
      return child ? [[id, child]] : [];
    });
    for (const [id, v] of level) seen.set(id, v);
    descendants.push(...level);
  }
  const all: Array<[string, Vertex]> = [...ancestors, [processId, start], ...descendants];
  return {
    hostId,
    rootId: all[0]?.[0] ?? processId,
    processes: all.map(([id, v]) => toProcess(v, id, hostId)),
    connections: all.flatMap(([id, v]) => connectionsOf(v, id)),
  };
}
