/**
 * Defender for Endpoint as the EDR port: machines by name (see machines.ts), process trees from advanced
 * hunting (see process-tree.ts), and the machine's alerts as detections. A detection's process is named
 * with the same ids as the tree, resolved through one hunting query for all of them.
 */
import { z } from "zod";
import { ToolError } from "../../../core/errors.ts";
import type { HttpClient } from "../../http.ts";
import type { EdrDetection, Host, NetworkConnection } from "../../../core/domain.ts";
import type { Edr } from "../../../core/ports.ts";
import { normalizeSeverity } from "../classify.ts";
import { odataString } from "../microsoft/common.ts";
import { kqlDatetime, kqlString } from "../microsoft/kql.ts";
import { alertTime, listMdeAlerts, type ProcessResolver } from "./alerts.ts";
import { flaggedProcess } from "./evidence.ts";
import { cell, parsePidKey, pidKey, runHunting } from "./hunting.ts";
import { findMachine, isolationState, type Machine } from "./machines.ts";
import {
  buildTree,
  connectionOf,
  nodeOf,
  PROCESS_COLUMNS,
  processCondition,
  processSource,
} from "./process-tree.ts";
import { queryInstant as instant } from "../time.ts";

const HOUR = 3_600_000;
const MAX_DETECTIONS = 1000;

/** Windows shows its computer name in capitals and without the domain; other systems as they name it. */
function hostOf(machine: Machine, isolated: boolean): Host {
  const dns = machine.computerDnsName ?? machine.id;
  const short = dns.split(".")[0] || dns;
  const platform = machine.osPlatform ?? "";
  return {
    id: machine.id,
    hostname: /^windows/i.test(platform) ? short.toUpperCase() : short,
    os: platform.replace(/^([A-Za-z]+)(\d)/, "$1 $2") || "unknown",
    ip: machine.lastIpAddress ?? null,
    tags: machine.machineTags ?? [],
    owner: null,
    isolated,
    lastSeen: new Date(Date.parse(machine.lastSeen) || 0).toISOString(),
  };
}

/** Our ids for processes named by pid and creation time; a key hunting cannot resolve is left out. */
export function createProcessResolver(vendor: string, http: () => HttpClient): ProcessResolver {
  const rowSchema = z.object({ ProcessId: cell.count, ProcessCreationTime: cell.text, Uid: cell.text });
  return async (hostId, keys, signal) => {
    const resolved = new Map<string, string>();
    const times = keys.map((k) => Date.parse(k.createdAt)).filter((t) => !Number.isNaN(t));
    if (!keys.length || !times.length) return resolved;
    const query = [
      ...processSource(hostId, vendor),
      `| where Timestamp >= ${kqlDatetime(Math.min(...times) - HOUR)} and Timestamp < ${kqlDatetime(Math.max(...times) + HOUR)}`,
      `| where ${keys.map((k) => processCondition(k.key, vendor)).join(" or ")}`,
      "| project ProcessId, ProcessCreationTime, Uid",
      `| take ${keys.length * 10}`,
    ].join("\n");
    try {
      for (const row of await runHunting(http(), query, signal)) {
        const r = rowSchema.safeParse(row);
        const key = r.success ? pidKey(r.data.ProcessId, r.data.ProcessCreationTime) : null;
        if (r.success && key && r.data.Uid && r.data.Uid !== "0") resolved.set(key, r.data.Uid);
      }
    } catch (error) {
      // The id is a hint; without hunting (no permission, quota spent) it stays `<pid>@<time>`, which the
      // tree lookup understands too.
      if (!(error instanceof ToolError) || signal?.aborted) throw error;
    }
    return resolved;
  };
}

export function createDefenderEdr(options: {
  vendor: string;
  http: () => HttpClient;
  resolveProcesses: ProcessResolver;
  treeWindowHours: number;
}): Edr {
  const { vendor } = options;
  const window = options.treeWindowHours * HOUR;

  async function connections(
    hostId: string,
    ids: string[],
    from: number,
    to: number,
    signal?: AbortSignal,
  ): Promise<NetworkConnection[]> {
    const unique = ids.filter((id) => !parsePidKey(id));
    const byPid = ids.filter((id) => parsePidKey(id));
    const conditions = [
      ...(unique.length ? [`Uid in (${unique.map((id) => kqlString(id, vendor)).join(", ")})`] : []),
      ...byPid.map((id) => processCondition(id, vendor, true)),
    ];
    const query = [
      "DeviceNetworkEvents",
      `| where DeviceId == ${kqlString(hostId, vendor)} and Timestamp >= ${kqlDatetime(from)} and Timestamp < ${kqlDatetime(to)}`,
      '| where ActionType startswith "Connection"',
      '| extend Uid = tostring(column_ifexists("InitiatingProcessUniqueId", ""))',
      `| where ${conditions.join(" or ")}`,
      "| project Timestamp, Uid, InitiatingProcessId, InitiatingProcessCreationTime, RemoteIP, RemotePort, RemoteUrl",
      "| sort by Timestamp asc",
      "| take 1000",
    ].join("\n");
    const known = new Set(ids);
    return (await runHunting(options.http(), query, signal))
      .map(connectionOf)
      .filter((c): c is NetworkConnection => c !== null && known.has(c.processId));
  }

  return {
    vendor,
    async getHost(hostname, call) {
      const http = options.http();
      const machine = await findMachine(http, hostname, call?.signal);
      if (!machine) return null;
      return hostOf(machine, (await isolationState(http, machine.id, call?.signal)).isolated);
    },

    async getProcessTree(hostId, processId, call) {
      const http = options.http();
      const signal = call?.signal;
      const project = `| project ${PROCESS_COLUMNS.join(", ")}`;
      const lookup = [
        ...processSource(hostId, vendor),
        `| where ${processCondition(processId, vendor)}`,
        project,
        "| take 1",
      ];
      const [row] = await runHunting(http, lookup.join("\n"), signal);
      const target = row ? nodeOf(row) : null;
      if (!target) return null;
      const start = Date.parse(target.process.startedAt);
      const [from, to] = [start - window, start + window];
      const around = [
        ...processSource(hostId, vendor),
        `| where Timestamp >= ${kqlDatetime(from)} and Timestamp < ${kqlDatetime(to)}`,
        project,
        "| sort by Timestamp asc",
        "| take 10000",
      ];
      const nodes = (await runHunting(http, around.join("\n"), signal)).flatMap((r) => nodeOf(r) ?? []);
      const tree = buildTree(hostId, target, nodes);
      const made = await connections(
        hostId,
        tree.processes.map((p) => p.id),
        from,
        to,
        signal,
      );
      return { ...tree, connections: made };
    },

    async listDetections(query, call) {
      const since = query.since === undefined ? undefined : instant(query.since, "since", vendor);
      const until = query.until === undefined ? undefined : instant(query.until, "until", vendor);
      const filter = [
        `machineId eq ${odataString(query.hostId)}`,
        ...(since === undefined ? [] : [`alertCreationTime ge ${new Date(since).toISOString()}`]),
        // Inclusive of everything within `until`'s millisecond.
        ...(until === undefined ? [] : [`alertCreationTime lt ${new Date(until + 1).toISOString()}`]),
      ].join(" and ");
      const alerts = (
        await listMdeAlerts(options.http(), {
          filter,
          limit: MAX_DETECTIONS,
          evidence: true,
          signal: call?.signal,
        })
      ).filter((a) => a.machineId === query.hostId);
      const flagged = new Map(alerts.map((a) => [a.id, flaggedProcess(a.evidence ?? [])]));
      const keys = [...flagged.values()].filter((f) => f !== null);
      const resolved = keys.length
        ? await options.resolveProcesses(query.hostId, keys, call?.signal)
        : new Map<string, string>();
      const detections: EdrDetection[] = alerts.map((a) => {
        const process = flagged.get(a.id);
        return {
          id: a.id,
          hostId: query.hostId,
          name: a.title || a.id,
          severity: normalizeSeverity(a.severity),
          processId: process ? (resolved.get(process.key) ?? process.key) : null,
          attack: a.mitreTechniques ?? [],
          timestamp: alertTime(a, vendor),
        };
      });
      return detections
        .filter((d) => {
          const t = Date.parse(d.timestamp);
          return (since === undefined || t >= since) && (until === undefined || t <= until);
        })
        .sort((a, b) => a.timestamp.localeCompare(b.timestamp));
    },
  };
}
