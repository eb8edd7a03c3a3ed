/**
 * The contract fixture in Defender for Endpoint's shapes: the host as a machine (lower-case FQDN), the
 * fixture alerts and the host's detections as MDE alerts with evidence, and the processes and connections
 * as advanced-hunting rows carrying ProcessUniqueId / InitiatingProcessUniqueId, so fixture process ids
 * ("p-ps") come back unchanged.
 */
import { FIXTURE } from "../../../lab/testing/fixture.ts";
import type { Alert, EdrDetection, Observable, ProcessRecord } from "../../../../core/domain.ts";
import type { KqlTable } from "../../microsoft/testing/kql-engine.ts";
import { TABLE_COLUMNS, ticks } from "../../sentinel/testing/seed.ts";

export const DOMAIN = "corp.test";
export type Doc = Record<string, unknown>;

export function machineOf(host: {
  id: string;
  hostname: string;
  ip?: string | null;
  tags: readonly string[];
  lastSeen: string;
}): Doc {
  return {
    id: host.id,
    computerDnsName: `${host.hostname.toLowerCase()}.${DOMAIN}`,
    firstSeen: ticks("2026-01-01T00:00:00.000Z"),
    lastSeen: ticks(host.lastSeen),
    osPlatform: "Windows11",
    version: "22H2",
    osProcessor: "x64",
    lastIpAddress: host.ip ?? null,
    lastExternalIpAddress: "203.0.113.7",
    healthStatus: "Active",
    rbacGroupName: "Workstations",
    riskScore: "Medium",
    exposureLevel: "Medium",
    isAadJoined: true,
    aadDeviceId: null,
    machineTags: [...host.tags],
  };
}

/** The fixture host, and a neighbour whose name starts like it ("WS-010"), so prefixes are not matches. */
export function fixtureMachines(): Doc[] {
  return [
    machineOf(FIXTURE.host),
    machineOf({ id: "h-010", hostname: "WS-010", tags: [], lastSeen: FIXTURE.host.lastSeen }),
  ];
}

const EVIDENCE_KEYS = [
  "sha1",
  "sha256",
  "fileName",
  "filePath",
  "processId",
  "processCommandLine",
  "processCreationTime",
  "parentProcessId",
  "parentProcessCreationTime",
  "ipAddress",
  "url",
  "accountName",
  "domainName",
  "userSid",
  "aadUserId",
  "userPrincipalName",
  "mailboxDisplayName",
  "mailboxAddress",
  "sender",
  "recipient",
  "subject",
  "detectionStatus",
];

/** An evidence entity as MDE writes it: every key present, null when it does not apply. */
export function evidence(entityType: string, fields: Doc): Doc {
  return { entityType, ...Object.fromEntries(EVIDENCE_KEYS.map((k) => [k, null])), ...fields };
}

function evidenceOf(o: Observable): Doc {
  switch (o.type) {
    case "email":
      return o.role === "sender"
        ? evidence("MailMessage", { sender: o.value })
        : evidence("MailBox", { mailboxAddress: o.value });
    case "user": {
      const [accountName, domainName] = o.value.split("@");
      return evidence("User", { accountName, domainName, userPrincipalName: o.value });
    }
    case "ip":
      return evidence("Ip", { ipAddress: o.value });
    case "url":
      return evidence("Url", { url: o.value });
    case "file_hash":
      return evidence("File", { sha256: o.value });
    case "file_name":
      return evidence("File", { fileName: o.value });
    case "domain":
    case "host":
    case "message_id":
    case "process":
      throw new Error(`the Defender fake has no evidence for a ${o.type} observable`);
  }
}

const SEVERITY: Record<string, string> = {
  informational: "Informational",
  low: "Low",
  medium: "Medium",
  high: "High",
  critical: "High",
};

function alertDoc(fields: {
  id: string;
  title: string;
  severity: string;
  createdAt: string;
  category: string;
  detectionSource: string;
  machineId?: string | null;
  mitreTechniques?: readonly string[];
  evidence: Doc[];
}): Doc {
  const at = ticks(fields.createdAt);
  return {
    id: fields.id,
    incidentId: 7000,
    investigationId: null,
    assignedTo: null,
    severity: SEVERITY[fields.severity] ?? "Medium",
    status: "New",
    classification: null,
    determination: null,
    investigationState: "Queued",
    detectionSource: fields.detectionSource,
    detectorId: "00000000-0000-4000-8000-00000000000d",
    category: fields.category,
    threatFamilyName: null,
    title: fields.title,
    description: "",
    alertCreationTime: at,
    firstEventTime: at,
    lastEventTime: at,
    lastUpdateTime: at,
    resolvedTime: null,
    machineId: fields.machineId ?? null,
    computerDnsName: fields.machineId ? `${FIXTURE.host.hostname.toLowerCase()}.${DOMAIN}` : null,
    rbacGroupName: null,
    aadTenantId: "00000000-0000-4000-8000-000000000001",
    threatName: null,
    mitreTechniques: [...(fields.mitreTechniques ?? [])],
    relatedUser: null,
    comments: [],
    evidence: fields.evidence,
  };
}

// What Defender says about the kind of each fixture alert; titles, times and severities are the fixture's.
const SOURCES: Record<string, { category: string; detectionSource: string }> = {
  email: { category: "InitialAccess", detectionSource: "OfficeATP" },
  identity: { category: "InitialAccess", detectionSource: "AzureAdIdentityProtection" },
  endpoint: { category: "Execution", detectionSource: "WindowsDefenderAtp" },
  network: { category: "Discovery", detectionSource: "WindowsDefenderAtp" },
};

export function mdeAlertOf(alert: Alert): Doc {
  const source = SOURCES[alert.family] ?? {
    category: "SuspiciousActivity",
    detectionSource: "WindowsDefenderAtp",
  };
  return alertDoc({ ...alert, ...source, evidence: alert.observables.map(evidenceOf) });
}

export const fixtureAlerts = (): Doc[] => FIXTURE.alerts.map(mdeAlertOf);

function processEvidence(p: ProcessRecord): Doc {
  const parent = FIXTURE.processes.find((q) => q.id === p.parentId);
  const cut = p.image.lastIndexOf("\\");
  return evidence("Process", {
    sha256: p.sha256 ?? null,
    fileName: p.image.slice(cut + 1),
    filePath: p.image.slice(0, cut),
    processId: p.pid,
    processCommandLine: p.commandLine,
    processCreationTime: ticks(p.startedAt),
    parentProcessId: parent?.pid ?? null,
    parentProcessCreationTime: parent ? ticks(parent.startedAt) : null,
    userPrincipalName: p.user ?? null,
    detectionStatus: "Detected",
  });
}

/** A detection as the MDE alert it is: the flagged process's evidence, then its parent's. */
export function detectionAlertOf(detection: EdrDetection): Doc {
  const process = FIXTURE.processes.find((p) => p.id === detection.processId);
  const parent = FIXTURE.processes.find((p) => p.id === process?.parentId);
  return alertDoc({
    id: detection.id,
    title: detection.name,
    severity: detection.severity,
    createdAt: detection.timestamp,
    category: "Execution",
    detectionSource: "WindowsDefenderAtp",
    machineId: detection.hostId,
    mitreTechniques: detection.attack,
    evidence: [process, parent].flatMap((p) => (p ? [processEvidence(p)] : [])),
  });
}

export const fixtureDetections = (): Doc[] => [FIXTURE.oldDetection, FIXTURE.detection].map(detectionAlertOf);

function processRow(p: ProcessRecord): Doc {
  const parent = FIXTURE.processes.find((q) => q.id === p.parentId);
  const file = (image: string) => image.slice(image.lastIndexOf("\\") + 1);
  return {
    Timestamp: ticks(p.startedAt),
    DeviceId: p.hostId,
    DeviceName: `${FIXTURE.host.hostname.toLowerCase()}.${DOMAIN}`,
    ActionType: "ProcessCreated",
    FileName: file(p.image),
    FolderPath: p.image,
    SHA256: p.sha256 ?? "",
    ProcessId: p.pid,
    ProcessCommandLine: p.commandLine,
    ProcessCreationTime: ticks(p.startedAt),
    ProcessUniqueId: p.id,
    AccountName: p.user?.split("@")[0] ?? "",
    AccountDomain: "CORP",
    AccountUpn: p.user ?? "",
    ...(parent
      ? {
          InitiatingProcessId: parent.pid,
          InitiatingProcessCreationTime: ticks(parent.startedAt),
          InitiatingProcessFileName: file(parent.image),
          InitiatingProcessFolderPath: parent.image,
          InitiatingProcessCommandLine: parent.commandLine,
          InitiatingProcessAccountUpn: parent.user ?? "",
          InitiatingProcessSHA256: parent.sha256 ?? "",
          InitiatingProcessUniqueId: parent.id,
        }
      : { InitiatingProcessUniqueId: "" }),
  };
}

/** DeviceProcessEvents and DeviceNetworkEvents holding the fixture's processes and connections. */
export function huntingTables(
  processes: readonly ProcessRecord[] = FIXTURE.processes,
): Record<string, KqlTable> {
  const connections = [FIXTURE.connection, FIXTURE.unrelatedConnection].map((c) => {
    const p = FIXTURE.processes.find((q) => q.id === c.processId);
    return {
      Timestamp: ticks(c.timestamp),
      DeviceId: p?.hostId,
      ActionType: "ConnectionSuccess",
      RemoteIP: c.remoteIp,
      RemotePort: c.remotePort,
      RemoteUrl: c.remoteDomain ?? "",
      Protocol: "Tcp",
      InitiatingProcessId: p?.pid,
      InitiatingProcessCreationTime: p ? ticks(p.startedAt) : null,
      InitiatingProcessUniqueId: c.processId,
    };
  });
  const table = (name: string) => ({ Timestamp: "datetime", ...TABLE_COLUMNS[name] });
  return {
    DeviceProcessEvents: { columns: table("DeviceProcessEvents"), rows: processes.map(processRow) },
    DeviceNetworkEvents: { columns: table("DeviceNetworkEvents"), rows: connections },
  };
}
