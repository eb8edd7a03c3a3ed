/**
 * A process tree from advanced hunting: the DeviceProcessEvents creation rows of a device around the
 * process, linked child → parent by InitiatingProcessUniqueId (or pid and creation time). An ancestor
 * created before the rows we read is still known from its child's InitiatingProcess* columns, so it is
 * added from those and the walk up stops there.
 */
import { z } from "zod";
import type { NetworkConnection, ProcessRecord, ProcessTree } from "../../../core/domain.ts";
import { kqlDatetime, kqlString } from "../microsoft/kql.ts";
import { cell, parsePidKey, processKey } from "./hunting.ts";

const MAX_DEPTH = 64;
const MAX_PROCESSES = 1000;

/** Columns each process row is projected to. */
export const PROCESS_COLUMNS = [
  "Timestamp",
  "DeviceId",
  "Uid",
  "ParentUid",
  "ProcessId",
  "ProcessCreationTime",
  "FileName",
  "FolderPath",
  "ProcessCommandLine",
  "AccountUpn",
  "AccountDomain",
  "AccountName",
  "SHA256",
  "InitiatingProcessId",
  "InitiatingProcessCreationTime",
  "InitiatingProcessFileName",
  "InitiatingProcessFolderPath",
  "InitiatingProcessCommandLine",
  "InitiatingProcessAccountUpn",
  "InitiatingProcessSHA256",
];

const processRowSchema = z.object({
  DeviceId: z.string(),
  Uid: cell.text,
  ParentUid: cell.text,
  ProcessId: cell.count,
  ProcessCreationTime: cell.text,
  FileName: cell.text,
  FolderPath: cell.text,
  ProcessCommandLine: cell.text,
  AccountUpn: cell.text,
  AccountDomain: cell.text,
  AccountName: cell.text,
  SHA256: cell.text,
  InitiatingProcessId: cell.count,
  InitiatingProcessCreationTime: cell.text,
  InitiatingProcessFileName: cell.text,
  InitiatingProcessFolderPath: cell.text,
  InitiatingProcessCommandLine: cell.text,
  InitiatingProcessAccountUpn: cell.text,
  InitiatingProcessSHA256: cell.text,
});

/** The start of a hunting query over a device's process creations, unique ids extracted where they exist. */
export function processSource(hostId: string, vendor: string): string[] {
  return [
    "DeviceProcessEvents",
    `| where DeviceId == ${kqlString(hostId, vendor)} and ActionType == "ProcessCreated"`,
    // column_ifexists: tenants whose schema predates the unique-id columns still answer.
    '| extend Uid = tostring(column_ifexists("ProcessUniqueId", "")), ParentUid = tostring(column_ifexists("InitiatingProcessUniqueId", ""))',
  ];
}

/**
 * A condition selecting the process an id names: by `Uid` (extended from the unique-id column), or by pid
 * and creation time for a `<pid>@<time>` id; over the initiating process's columns when `initiating`.
 */
export function processCondition(id: string, vendor: string, initiating = false): string {
  const byPid = parsePidKey(id);
  if (!byPid) return `Uid == ${kqlString(id, vendor)}`;
  const pid = initiating ? "InitiatingProcessId" : "ProcessId";
  const created = initiating ? "InitiatingProcessCreationTime" : "ProcessCreationTime";
  return `(${pid} == ${byPid.pid} and ${created} >= ${kqlDatetime(byPid.ms)} and ${created} < ${kqlDatetime(byPid.ms + 1)})`;
}

const iso = (value: string | null | undefined) => {
  const ms = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
};
const imageOf = (folder: string | null | undefined, file: string | null | undefined) => {
  if (!folder) return file ?? "";
  if (
    !file ||
    folder.toLowerCase().endsWith(`\\${file.toLowerCase()}`) ||
    folder.toLowerCase().endsWith(`/${file.toLowerCase()}`)
  )
    return folder;
  return `${folder}${folder.includes("/") ? "/" : "\\"}${file}`;
};

interface Node {
  process: ProcessRecord;
  /** The parent as its child's row describes it, for when its own row is not among those read. */
  parent: ProcessRecord | null;
}

/** One hunting row as a process, with what the row says about its parent. */
export function nodeOf(row: Record<string, unknown>): Node | null {
  const parsed = processRowSchema.safeParse(row);
  if (!parsed.success) return null;
  const r = parsed.data;
  const id = processKey(r.Uid, r.ProcessId, r.ProcessCreationTime);
  const startedAt = iso(r.ProcessCreationTime);
  if (!id || startedAt === null || r.ProcessId === null || r.ProcessId === undefined) return null;
  const parentId = processKey(r.ParentUid, r.InitiatingProcessId, r.InitiatingProcessCreationTime);
  const parentStarted = iso(r.InitiatingProcessCreationTime);
  const user =
    r.AccountUpn ||
    (r.AccountName ? (r.AccountDomain ? `${r.AccountDomain}\\${r.AccountName}` : r.AccountName) : null);
  return {
    process: {
      id,
      parentId,
      hostId: r.DeviceId,
      pid: r.ProcessId,
      image: imageOf(r.FolderPath, r.FileName),
      commandLine: r.ProcessCommandLine ?? "",
      user: user || null,
      sha256: r.SHA256 || null,
      // Hunting records no signature for a created process; version-info company names can be forged, so
      // they are not passed off as a signer.
      signer: null,
      startedAt,
    },
    parent:
      parentId &&
      parentStarted !== null &&
      r.InitiatingProcessId !== null &&
      r.InitiatingProcessId !== undefined
        ? {
            id: parentId,
            parentId: null,
            hostId: r.DeviceId,
            pid: r.InitiatingProcessId,
            image: imageOf(r.InitiatingProcessFolderPath, r.InitiatingProcessFileName),
            commandLine: r.InitiatingProcessCommandLine ?? "",
            user: r.InitiatingProcessAccountUpn || null,
            sha256: r.InitiatingProcessSHA256 || null,
            signer: null,
            startedAt: parentStarted,
          }
        : null,
  };
}

/** The tree around `target`: its ancestors (root first), itself, then its descendants level by level. */
export function buildTree(
  hostId: string,
  target: Node,
  rows: readonly Node[],
): Omit<ProcessTree, "connections"> {
  const byId = new Map<string, Node>();
  for (const node of [target, ...rows]) if (!byId.has(node.process.id)) byId.set(node.process.id, node);
  const ancestors: ProcessRecord[] = [];
  const seen = new Set([target.process.id]);
  let current = target;
  for (let depth = 0; depth < MAX_DEPTH && current.process.parentId; depth++) {
    const parentId = current.process.parentId;
    if (seen.has(parentId)) break;
    seen.add(parentId);
    const parent = byId.get(parentId);
    if (!parent) {
      if (current.parent) ancestors.push(current.parent);
      break;
    }
    ancestors.push(parent.process);
    current = parent;
  }
  const children = new Map<string, ProcessRecord[]>();
  for (const { process } of byId.values())
    if (process.parentId)
      children.set(process.parentId, [...(children.get(process.parentId) ?? []), process]);
  const descendants: ProcessRecord[] = [];
  let level = [target.process];
  while (level.length && seen.size < MAX_PROCESSES) {
    const next: ProcessRecord[] = [];
    for (const process of level)
      for (const child of children.get(process.id) ?? []) {
        if (seen.has(child.id) || seen.size >= MAX_PROCESSES) continue;
        seen.add(child.id);
        descendants.push(child);
        next.push(child);
      }
    level = next;
  }
  const processes = [...ancestors.reverse(), target.process, ...descendants];
  return { hostId, rootId: processes[0]?.id ?? target.process.id, processes };
}

const connectionRowSchema = z.object({
  Timestamp: cell.text,
  Uid: cell.text,
  InitiatingProcessId: cell.count,
  InitiatingProcessCreationTime: cell.text,
  RemoteIP: cell.text,
  RemotePort: cell.count,
  RemoteUrl: cell.text,
});

/** A DeviceNetworkEvents row as a connection of the process that made it. */
export function connectionOf(row: Record<string, unknown>): NetworkConnection | null {
  const parsed = connectionRowSchema.safeParse(row);
  if (!parsed.success) return null;
  const r = parsed.data;
  const processId = processKey(r.Uid, r.InitiatingProcessId, r.InitiatingProcessCreationTime);
  const timestamp = iso(r.Timestamp);
  if (!processId || !r.RemoteIP || r.RemotePort === null || r.RemotePort === undefined || timestamp === null)
    return null;
  // RemoteUrl holds a URL or a bare host name.
  const host = (r.RemoteUrl ?? "")
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, "")
    .split(/[/:?#]/)[0]
    ?.toLowerCase();
  return { processId, remoteIp: r.RemoteIP, remotePort: r.RemotePort, remoteDomain: host || null, timestamp };
}
