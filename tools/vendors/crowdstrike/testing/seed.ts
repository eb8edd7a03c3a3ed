/**
 * The contract fixture in Falcon's shapes: alerts as Alerts API documents (nanosecond timestamps, 1-100
 * severities with their names), the host as a device record with grouping tags, the processes as ThreatGraph
 * vertices with parent/child/ipv4 edges. Fixture ids are Falcon ids here (composite ids, agent ids, process
 * ids), so they round-trip through the adapter.
 */
import { FIXTURE } from "../../../lab/testing/fixture.ts";
import type { Alert, EdrDetection, Host, NetworkConnection, ProcessRecord } from "../../../../core/domain.ts";

export type FalconDoc = Record<string, unknown>;

const SEVERITY = {
  informational: [10, "Informational"],
  low: [30, "Low"],
  medium: [50, "Medium"],
  high: [70, "High"],
  critical: [90, "Critical"],
} as const;

/** Falcon writes nine fractional digits. */
export const nanos = (iso: string) => iso.replace(/\.(\d{3})Z$/, ".$1000000Z");

const severity = (s: keyof typeof SEVERITY) => ({ severity: SEVERITY[s][0], severity_name: SEVERITY[s][1] });
const CID = "c1d0000000000000000000000000000f";

/** A fixture alert as Falcon would hold it; family and type come back through classification, not copying. */
export function falconAlertOf(alert: Alert): FalconDoc {
  const common = {
    composite_id: alert.id,
    id: `ind:${alert.id}`,
    cid: CID,
    status: "new",
    display_name: alert.title,
    name: alert.title.replace(/\W+/g, ""),
    description: alert.description,
    ...severity(alert.severity),
    created_timestamp: nanos(alert.createdAt),
    timestamp: alert.createdAt,
  };
  const sender = alert.observables.find((o) => o.type === "email" && o.role === "sender");
  if (alert.family === "email")
    return {
      ...common,
      product: "xdr",
      type: "xdr",
      data_domains: ["Email"],
      mitre_attack: [
        { tactic_id: "TA0001", tactic: "Initial Access", technique_id: "T1566", technique: "Phishing" },
      ],
      ioc_values: sender ? [sender.value] : [],
    };
  const user = alert.observables.find((o) => o.type === "user");
  return {
    ...common,
    product: "idp",
    type: "idp",
    data_domains: ["Identity"],
    user_name: user?.value,
    mitre_attack: [],
  };
}

/** An endpoint detection as an epp alert on its host, with the process it fired on. */
export function falconDetectionOf(
  detection: EdrDetection,
  host: Host,
  processes: readonly ProcessRecord[],
): FalconDoc {
  const process = processes.find((p) => p.id === detection.processId);
  return {
    composite_id: detection.id,
    id: `ind:${detection.id}`,
    cid: CID,
    agent_id: detection.hostId,
    product: "epp",
    type: "ldt",
    status: "new",
    display_name: detection.name,
    name: detection.name.replace(/\W+/g, ""),
    ...severity(detection.severity),
    timestamp: detection.timestamp,
    created_timestamp: nanos(new Date(Date.parse(detection.timestamp) + 5_000).toISOString()),
    mitre_attack: detection.attack.map((t) => ({
      technique_id: t,
      tactic: "Execution",
      technique: "Command and Scripting Interpreter",
    })),
    device: {
      device_id: host.id,
      hostname: host.hostname,
      local_ip: host.ip,
      platform_name: "Windows",
      os_version: host.os,
    },
    ...(process
      ? {
          process_id: process.id,
          triggering_process_graph_id: `pid:${host.id}:${process.id}`,
          cmdline: process.commandLine,
          filepath: process.image,
          filename: process.image.split("\\").pop(),
          sha256: process.sha256,
          user_name: process.user,
          parent_process_id: process.parentId,
        }
      : {}),
  };
}

export function falconDeviceOf(host: Host): FalconDoc {
  return {
    device_id: host.id,
    cid: CID,
    hostname: host.hostname,
    local_ip: host.ip,
    external_ip: "203.0.113.7",
    platform_name: "Windows",
    os_version: host.os,
    agent_version: "7.20.19103.0",
    first_seen: "2026-01-05T08:00:00Z",
    last_seen: host.lastSeen,
    status: host.isolated ? "contained" : "normal",
    tags: host.tags.map((t) => `FalconGroupingTags/${t}`),
    groups: [],
    last_login_user: host.owner,
  };
}

const seconds = (iso: string) => Date.parse(iso) / 1000;
const ref = (p: ProcessRecord) => ({
  id: `pid:${p.hostId}:${p.id}`,
  object_id: p.id,
  device_id: p.hostId,
  vertex_type: "process",
  timestamp: p.startedAt,
});

/** ThreatGraph process vertices keyed by vertex id `pid:<aid>:<process id>`, edges included. */
export function falconVerticesOf(
  processes: readonly ProcessRecord[],
  connections: readonly NetworkConnection[],
  localIp: string,
): Map<string, FalconDoc> {
  const vertices = new Map<string, FalconDoc>();
  for (const p of processes) {
    const parent = processes.find((q) => q.id === p.parentId);
    vertices.set(`pid:${p.hostId}:${p.id}`, {
      ...ref(p),
      customer_id: CID,
      scope: "device",
      properties: {
        CommandLine: p.commandLine,
        ImageFileName: p.image,
        RawProcessId: String(p.pid),
        UserName: p.user,
        ...(p.sha256 ? { SHA256HashData: p.sha256 } : {}),
        ProcessStartTime: String(seconds(p.startedAt)),
      },
      edges: {
        ...(parent ? { parent_process: [ref(parent)] } : {}),
        child_process: processes.filter((c) => c.parentId === p.id).map(ref),
        ipv4: connections
          .filter((c) => c.processId === p.id)
          .map((c) => ({
            timestamp: c.timestamp,
            properties: {
              LocalAddressIP4: localIp,
              RemoteAddressIP4: c.remoteIp,
              RemotePort: String(c.remotePort),
              LocalPort: "50123",
            },
          })),
      },
    });
  }
  return vertices;
}

/** The whole fixture world, or only its alerts (an alert-source suite must not see the host's detections). */
export function fixtureWorld(only?: "alerts") {
  const alerts = FIXTURE.alerts.map((a) => falconAlertOf(a));
  if (only === "alerts") return { alerts, devices: [], vertices: new Map<string, FalconDoc>() };
  const processes = [...FIXTURE.processes];
  return {
    alerts: [
      ...alerts,
      ...[FIXTURE.oldDetection, FIXTURE.detection].map((d) => falconDetectionOf(d, FIXTURE.host, processes)),
    ],
    devices: [falconDeviceOf(FIXTURE.host)],
    vertices: falconVerticesOf(processes, [FIXTURE.connection, FIXTURE.unrelatedConnection], FIXTURE.host.ip),
  };
}
