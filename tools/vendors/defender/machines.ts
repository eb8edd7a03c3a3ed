/**
 * Defender machines: found by name, and whether they are isolated. Defender stores `computerDnsName` as a
 * lower-case FQDN ("ws-01.corp.test"), so a name is lower-cased and matched whole: an FQDN exactly (or,
 * failing that, a bare name equal to its first label), a short name as the first label of an FQDN or a bare name, never as
 * a mere prefix ("ws-01" does not find "ws-010"). Re-onboarded devices leave stale duplicates, so the one
 * seen last wins.
 */
import { z } from "zod";
import { orNull, type HttpClient } from "../../http.ts";
import { collectPages, odataString } from "../microsoft/common.ts";

export const machineSchema = z.object({
  id: z.string().min(1),
  computerDnsName: z.string().nullish(),
  osPlatform: z.string().nullish(),
  lastIpAddress: z.string().nullish(),
  lastSeen: z.string(),
  healthStatus: z.string().nullish(),
  machineTags: z.array(z.string()).nullish(),
});
export type Machine = z.infer<typeof machineSchema>;

export const machineActionSchema = z.object({
  id: z.string().min(1),
  type: z.string(),
  status: z.string(),
  machineId: z.string().nullish(),
  requestorComment: z.string().nullish(),
  creationDateTimeUtc: z.string().nullish(),
});
export type MachineAction = z.infer<typeof machineActionSchema>;

/** Statuses after which a machine action changes no more. */
export const FINAL_STATUSES = new Set(["Succeeded", "Failed", "TimeOut", "Cancelled"]);

async function machinesWhere(http: HttpClient, filter: string, signal?: AbortSignal): Promise<Machine[]> {
  // An empty answer is a 404 on this API.
  const found = await orNull(
    collectPages(http, { path: "/api/machines", query: { $filter: filter } }, machineSchema, {
      max: 50,
      ...(signal ? { signal } : {}),
    }),
  );
  return found ?? [];
}

export async function findMachine(
  http: HttpClient,
  hostname: string,
  signal?: AbortSignal,
): Promise<Machine | null> {
  const name = hostname.trim().toLowerCase();
  if (!name) return null;
  const short = name.split(".")[0] ?? name;
  let candidates: Machine[] = [];
  if (name.includes("."))
    candidates = await machinesWhere(http, `computerDnsName eq ${odataString(name)}`, signal);
  if (!candidates.length) {
    const named = await machinesWhere(http, `startswith(computerDnsName,${odataString(short)})`, signal);
    // A short name matches any domain; an FQDN not found as such matches only a bare (workgroup) name.
    candidates = named.filter((m) => {
      const dns = (m.computerDnsName ?? "").toLowerCase();
      return dns === short || (!name.includes(".") && dns.startsWith(`${short}.`));
    });
  }
  return candidates.sort((a, b) => Date.parse(b.lastSeen) - Date.parse(a.lastSeen))[0] ?? null;
}

export async function getMachine(
  http: HttpClient,
  id: string,
  signal?: AbortSignal,
): Promise<Machine | null> {
  return orNull(
    http.json({
      path: `/api/machines/${encodeURIComponent(id)}`,
      schema: machineSchema,
      ...(signal ? { signal } : {}),
    }),
  );
}

export interface IsolationState {
  isolated: boolean;
  /** An Isolate request not finished yet, newer than any finished Isolate or Unisolate. */
  pending: MachineAction | null;
}

/**
 * Isolation from the machine's action history: the latest Isolate or Unisolate that succeeded decides
 * (the machine entity itself says nothing about isolation).
 */
export async function isolationState(
  http: HttpClient,
  machineId: string,
  signal?: AbortSignal,
): Promise<IsolationState> {
  const actions = await collectPages(
    http,
    {
      path: "/api/machineactions",
      query: {
        $filter: `machineId eq ${odataString(machineId)}`,
        $orderby: "creationDateTimeUtc desc",
        $top: 100,
      },
    },
    machineActionSchema,
    { max: 100, ...(signal ? { signal } : {}) },
  );
  const relevant = actions
    .filter((a) => a.type === "Isolate" || a.type === "Unisolate")
    .sort((a, b) => Date.parse(b.creationDateTimeUtc ?? "") - Date.parse(a.creationDateTimeUtc ?? ""));
  const lastDone = relevant.find((a) => a.status === "Succeeded");
  const pending = relevant.find(
    (a) =>
      a.type === "Isolate" &&
      !FINAL_STATUSES.has(a.status) &&
      (!lastDone || Date.parse(a.creationDateTimeUtc ?? "") > Date.parse(lastDone.creationDateTimeUtc ?? "")),
  );
  return { isolated: lastDone?.type === "Isolate", pending: pending ?? null };
}
