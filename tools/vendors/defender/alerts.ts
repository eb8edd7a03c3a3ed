/**
 * Defender for Endpoint alerts (GET /api/alerts) as our alerts, and the alert listing the EDR port's
 * detections share. Lists page by `$top` and `@odata.nextLink`, oldest first; a full alert is read with
 * `$expand=evidence` for its observables, and its flagged process is named with our process ids (see
 * hunting.ts) so the EDR port finds it in the process tree.
 */
import { z } from "zod";
import { ToolError } from "../../../core/errors.ts";
import type { HttpClient } from "../../http.ts";
import type { Alert, AlertSummary, Observable } from "../../../core/domain.ts";
import type { AlertSource } from "../../../core/ports.ts";
import { classifyAlert, normalizeSeverity, type AlertKind } from "../classify.ts";
import { collectPages } from "../microsoft/common.ts";
import { evidenceSchema, flaggedProcess, observablesOf } from "./evidence.ts";
import { queryInstant } from "../time.ts";

const text = z.string().nullish().catch(null);

export const mdeAlertSchema = z.object({
  id: z.string().min(1),
  title: z.string().nullish(),
  description: text,
  severity: text,
  status: text,
  category: text,
  detectionSource: text,
  threatFamilyName: text,
  alertCreationTime: z.string(),
  incidentId: z.union([z.number(), z.string()]).nullish().catch(null),
  machineId: text,
  computerDnsName: text,
  mitreTechniques: z.array(z.string()).nullish().catch(null),
  relatedUser: z.object({ userName: text, domainName: text }).nullish().catch(null),
  evidence: z.array(evidenceSchema).nullish().catch(null),
});
export type MdeAlert = z.infer<typeof mdeAlertSchema>;

const DEFAULT_LIMIT = 1000;
const MAX_TOP = 10_000;
const ALERT_ID = /^[A-Za-z0-9_-]{1,200}$/;

// detectionSource codes named as the products classify.ts recognizes.
const PRODUCTS: Readonly<Record<string, string>> = {
  officeatp: "Microsoft Defender for Office 365",
  microsoftdefenderforoffice365: "Microsoft Defender for Office 365",
  azureadidentityprotection: "Microsoft Entra ID Protection",
  aadidentityprotection: "Microsoft Entra ID Protection",
  azureatp: "Microsoft Defender for Identity",
  microsoftdefenderforidentity: "Microsoft Defender for Identity",
  mcas: "Microsoft Defender for Cloud Apps",
  cloudappsecurity: "Microsoft Defender for Cloud Apps",
};

export function kindOf(alert: MdeAlert): AlertKind {
  const source = alert.detectionSource ?? "";
  return classifyAlert({
    title: alert.title ?? "",
    category: alert.category ?? null,
    tactics: alert.category ? [alert.category] : [],
    techniques: alert.mitreTechniques ?? [],
    product: PRODUCTS[source.toLowerCase().replace(/[^a-z0-9]/g, "")] ?? (source || null),
  });
}

export function alertTime(alert: MdeAlert, vendor: string): string {
  const ms = Date.parse(alert.alertCreationTime);
  if (Number.isNaN(ms))
    throw new ToolError("BAD_RESPONSE", `${vendor}: unexpected answer at alertCreationTime: not a time`, {
      vendor,
    });
  return new Date(ms).toISOString();
}

function summaryOf(alert: MdeAlert, vendor: string): AlertSummary {
  const kind = kindOf(alert);
  return {
    id: alert.id,
    family: kind.family,
    type: kind.type,
    title: (alert.title || alert.id).slice(0, 512),
    severity: normalizeSeverity(alert.severity),
    createdAt: alertTime(alert, vendor),
  };
}

/** Alerts matching an OData filter, oldest first, following next links up to `limit`. */
export function listMdeAlerts(
  http: HttpClient,
  query: { filter: string | undefined; limit: number; evidence: boolean; signal?: AbortSignal | undefined },
): Promise<MdeAlert[]> {
  return collectPages(
    http,
    {
      path: "/api/alerts",
      query: {
        $filter: query.filter,
        $orderby: "alertCreationTime asc",
        $top: Math.min(query.limit, MAX_TOP),
        $expand: query.evidence ? "evidence" : undefined,
      },
    },
    mdeAlertSchema,
    { max: query.limit, ...(query.signal ? { signal: query.signal } : {}) },
  );
}

/** The playbook hints of classify.ts for the alert's family. */
function hints(
  family: AlertKind["family"],
  alert: MdeAlert,
  observables: Observable[],
  processId: string | null,
): Record<string, unknown> {
  const first = (type: Observable["type"], role?: string) =>
    observables.find((o) => o.type === type && (role === undefined || o.role === role))?.value;
  const ips = observables.filter((o) => o.type === "ip").map((o) => o.value);
  const byFamily = (): Record<string, unknown> => {
    switch (family) {
      case "email":
        return { mailbox: first("email", "mailbox") ?? first("email", "recipient") };
      case "identity":
        return { user: first("user"), ips };
      case "endpoint":
        return { hostname: alert.computerDnsName, hostId: alert.machineId, processId, user: first("user") };
      case "network":
        return { sourceHost: alert.computerDnsName, sourceIp: ips[0] };
    }
  };
  return Object.fromEntries(
    Object.entries(byFamily()).filter(
      ([, v]) => v !== undefined && v !== null && !(Array.isArray(v) && !v.length),
    ),
  );
}

/** Our process ids for `<pid>@<time>` keys of processes on a machine (unresolved keys map to themselves). */
export type ProcessResolver = (
  hostId: string,
  keys: ReadonlyArray<{ pid: number; createdAt: string; key: string }>,
  signal?: AbortSignal,
) => Promise<Map<string, string>>;

export function createDefenderAlerts(options: {
  vendor: string;
  http: () => HttpClient;
  resolveProcesses: ProcessResolver;
}): AlertSource {
  const { vendor } = options;
  return {
    name: vendor,
    async listAlerts(query, call) {
      const limit = query.limit ?? DEFAULT_LIMIT;
      const after = query.since === undefined ? undefined : queryInstant(query.since, "since", vendor);
      // Strictly after `since` at millisecond precision, the precision of our timestamps and watermarks.
      const filter =
        after === undefined ? undefined : `alertCreationTime ge ${new Date(after + 1).toISOString()}`;
      const alerts = await listMdeAlerts(options.http(), {
        filter,
        limit,
        evidence: false,
        signal: call?.signal,
      });
      return alerts
        .map((a) => summaryOf(a, vendor))
        .filter((s) => after === undefined || Date.parse(s.createdAt) > after)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .slice(0, limit);
    },
    async getAlert(id, call) {
      if (!ALERT_ID.test(id))
        throw new ToolError("NOT_FOUND", `${vendor}: no alert ${JSON.stringify(id.slice(0, 80))}`, {
          vendor,
        });
      const alert = await options.http().json({
        path: `/api/alerts/${encodeURIComponent(id)}`,
        query: { $expand: "evidence" },
        schema: mdeAlertSchema,
        ...(call?.signal ? { signal: call.signal } : {}),
      });
      const kind = kindOf(alert);
      const evidence = alert.evidence ?? [];
      const observables = observablesOf(evidence, alert);
      const flagged = flaggedProcess(evidence);
      let processId: string | null = null;
      if (flagged && alert.machineId) {
        const resolved = await options.resolveProcesses(alert.machineId, [flagged], call?.signal);
        processId = resolved.get(flagged.key) ?? flagged.key;
      }
      const result: Alert = {
        ...summaryOf(alert, vendor),
        source: vendor,
        description: (alert.description ?? "").slice(0, 20_000),
        observables: observables.slice(0, 500),
        raw: {
          ...hints(kind.family, alert, observables, processId),
          vendor: {
            id: alert.id,
            incidentId: alert.incidentId ?? null,
            status: alert.status ?? null,
            severity: alert.severity ?? null,
            category: alert.category ?? null,
            detectionSource: alert.detectionSource ?? null,
            threatFamilyName: alert.threatFamilyName ?? null,
            mitreTechniques: alert.mitreTechniques ?? [],
            machineId: alert.machineId ?? null,
            computerDnsName: alert.computerDnsName ?? null,
            evidence: evidence.slice(0, 20),
          },
        },
      };
      return result;
    },
  };
}
