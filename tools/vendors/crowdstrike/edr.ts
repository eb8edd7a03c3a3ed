/**
 * Falcon hosts and detections as the Edr port. A host is found by name through GET
 * /devices/queries/devices/v1 and read through GET /devices/entities/devices/v2; its id is the agent id
 * (aid). Detections are the host's alerts in a time window. Process trees come from ThreatGraph
 * (process-tree.ts).
 */
import { z } from "zod";
import { orNull, type HttpClient } from "../../http.ts";
import type { CallOptions, Edr } from "../../../core/ports.ts";
import type { EdrDetection, Host } from "../../../core/domain.ts";
import { alertsByIds, queryAlertIds } from "./alerts.ts";
import { toDetection } from "./alert-map.ts";
import { envelope, isoInstant, needing, queryIds, VENDOR } from "./client.ts";
import { fqlAll, fqlEquals, fqlTime, plausibleName } from "./fql.ts";
import { falconProcessTree } from "./process-tree.ts";

const text = z.string().nullish();
export const falconDeviceSchema = z.object({
  device_id: z.string().min(1),
  hostname: text,
  local_ip: text,
  platform_name: text,
  os_version: text,
  status: text,
  last_seen: text,
  first_seen: text,
  modified_timestamp: text,
  tags: z.array(z.string()).nullish(),
  groups: z.array(z.string()).nullish(),
  // Not in every API version's host record; the last interactive user is the closest thing to an owner.
  last_login_user: text,
});
export type FalconDevice = z.infer<typeof falconDeviceSchema>;

const groupSchema = z.object({ id: z.string(), name: z.string() });
/** Most detections listed for one host and window. */
const MAX_DETECTIONS = 500;

const signalOf = (options?: CallOptions) => (options?.signal ? { signal: options.signal } : {});

/** Containment in progress counts as isolated: the host is on its way and must not be contained twice. */
export const isContained = (device: FalconDevice) =>
  device.status === "contained" || device.status === "containment_pending";

/** Host records by agent id; unknown ids are left out (Falcon answers 404 when none is known). */
export async function devicesByIds(
  http: HttpClient,
  ids: readonly string[],
  options?: CallOptions,
): Promise<FalconDevice[]> {
  if (ids.length === 0) return [];
  const page = await needing(
    "Hosts:read",
    orNull(
      http.json({
        path: "/devices/entities/devices/v2",
        query: { ids: ids.slice(0, 100) },
        schema: envelope(falconDeviceSchema),
        ...signalOf(options),
      }),
    ),
  );
  return page?.resources ?? [];
}

/**
 * The host named `hostname`, case-insensitively. FQL's hostname match is exact and, as far as we can tell,
 * case-sensitive, so the name is asked for as given, upper-cased (Windows) and lower-cased (Linux, macOS);
 * the answer is then compared exactly, ignoring case. A name seen on several agents (a re-imaged machine)
 * resolves to the one seen last.
 */
export async function findDevice(
  http: HttpClient,
  hostname: string,
  options?: CallOptions,
): Promise<FalconDevice | null> {
  if (!plausibleName(hostname)) return null;
  const spellings = [...new Set([hostname, hostname.toUpperCase(), hostname.toLowerCase()])];
  const ids = await needing(
    "Hosts:read",
    queryIds(
      http,
      {
        path: "/devices/queries/devices/v1",
        query: { filter: fqlEquals("hostname", spellings) },
        ...signalOf(options),
      },
      20,
    ),
  );
  const wanted = hostname.toLowerCase();
  const matches = (await devicesByIds(http, ids, options)).filter(
    (d) => d.hostname?.toLowerCase() === wanted,
  );
  const seen = (d: FalconDevice) => Date.parse(d.last_seen ?? "") || 0;
  return matches.sort((a, b) => seen(b) - seen(a))[0] ?? null;
}

/** Falcon grouping tags (`FalconGroupingTags/vip`, `SensorGroupingTags/dc`) as plain lower-case tags. */
function tagsOf(device: FalconDevice, groupNames: readonly string[]): string[] {
  const tags = (device.tags ?? []).map((t) => t.replace(/^(Falcon|Sensor)GroupingTags\//i, "").toLowerCase());
  const groups = groupNames.map((n) => n.trim().toLowerCase().replace(/\s+/g, "_"));
  return [...new Set([...tags, ...groups].filter(Boolean))];
}

async function groupNames(http: HttpClient, device: FalconDevice, options?: CallOptions): Promise<string[]> {
  const ids = device.groups ?? [];
  if (ids.length === 0) return [];
  const page = await needing(
    "Host groups:read",
    http.json({
      path: "/devices/entities/host-groups/v1",
      query: { ids },
      schema: envelope(groupSchema),
      ...signalOf(options),
    }),
  );
  return page.resources.map((g) => g.name);
}

export function toHost(device: FalconDevice, groups: readonly string[] = []): Host {
  const lastSeen = device.last_seen || device.modified_timestamp || device.first_seen;
  return {
    id: device.device_id,
    hostname: device.hostname ?? device.device_id,
    os: device.os_version || device.platform_name || "unknown",
    ip: device.local_ip || null,
    tags: tagsOf(device, groups),
    owner: device.last_login_user || null,
    isolated: isContained(device),
    lastSeen: isoInstant(lastSeen ?? "", `host ${device.device_id} last_seen`),
  };
}

export function createFalconEdr(http: HttpClient, options: { hostGroupTags: boolean }): Edr {
  return {
    vendor: VENDOR,
    async getHost(hostname, call) {
      const device = await findDevice(http, hostname, call);
      if (!device) return null;
      return toHost(device, options.hostGroupTags ? await groupNames(http, device, call) : []);
    },
    getProcessTree: (hostId, processId, call) => falconProcessTree(http, hostId, processId, call),
    async listDetections(query, call): Promise<EdrDetection[]> {
      if (!plausibleName(query.hostId)) return [];
      const filter = fqlAll(
        fqlEquals("device.device_id", query.hostId),
        query.since ? fqlTime("timestamp", ">=", query.since) : "",
        query.until ? fqlTime("timestamp", "<=", query.until) : "",
      );
      const ids = await queryAlertIds(http, filter, "timestamp", MAX_DETECTIONS, call);
      const since = query.since ? Date.parse(query.since) : -Infinity;
      const until = query.until ? Date.parse(query.until) : Infinity;
      return (await alertsByIds(http, ids, call))
        .map((doc) => toDetection(doc, query.hostId))
        .filter((d) => d.hostId === query.hostId)
        .filter((d) => Date.parse(d.timestamp) >= since && Date.parse(d.timestamp) <= until)
        .sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp) || a.id.localeCompare(b.id));
    },
  };
}
