/**
 * Sentinel incidents as our alerts. An incident's name (its GUID) is the alert id. Lists page by ARM's
 * `nextLink` oldest first; a full alert also reads the incident's alerts (names, products, tactics) and
 * entities (observables). Summaries classify from the incident alone, so a summary's type can be less
 * specific than the full alert's (which also weighs the alert names).
 */
import { z } from "zod";
import { ToolError } from "../../../core/errors.ts";
import type { HttpClient } from "../../http.ts";
import type { Alert, AlertSummary } from "../../../core/domain.ts";
import type { AlertSource } from "../../../core/ports.ts";
import { classifyAlert, normalizeSeverity, type AlertKind } from "../classify.ts";
import { collectPages } from "../microsoft/common.ts";
import { entitySchema, readEntities, type EntityFacts } from "./entities.ts";
import { queryInstant } from "../time.ts";

const strings = z.array(z.string()).nullish().catch(null);

const incidentSchema = z.object({
  name: z.string().min(1),
  properties: z.object({
    title: z.string(),
    description: z.string().nullish(),
    severity: z.string().nullish(),
    status: z.string().nullish(),
    createdTimeUtc: z.string(),
    incidentNumber: z.number().nullish(),
    incidentUrl: z.string().nullish(),
    additionalData: z.object({ alertProductNames: strings, tactics: strings, techniques: strings }).nullish(),
  }),
});
type Incident = z.infer<typeof incidentSchema>;

const securityAlertSchema = z.object({
  properties: z.object({
    systemAlertId: z.string().nullish(),
    alertDisplayName: z.string().nullish(),
    productName: z.string().nullish(),
    severity: z.string().nullish(),
    tactics: strings,
    techniques: strings,
  }),
});
type SecurityAlert = z.infer<typeof securityAlertSchema>;

const DEFAULT_LIMIT = 1000;
// Incident names are GUIDs; anything outside this set could not name one (and could walk the ARM path).
const INCIDENT_NAME = /^[A-Za-z0-9_-]{1,200}$/;

function createdMs(incident: Incident, vendor: string): number {
  const ms = Date.parse(incident.properties.createdTimeUtc);
  if (Number.isNaN(ms))
    throw new ToolError(
      "BAD_RESPONSE",
      `${vendor}: unexpected answer at properties.createdTimeUtc: not a time`,
      {
        vendor,
      },
    );
  return ms;
}

function kindOf(incident: Incident, alerts: readonly SecurityAlert[]): AlertKind {
  const data = incident.properties.additionalData;
  const names = alerts.map((a) => a.properties.alertDisplayName).filter((n): n is string => !!n);
  const products = [...(data?.alertProductNames ?? []), ...alerts.map((a) => a.properties.productName ?? "")];
  return classifyAlert({
    title: incident.properties.title,
    category: names.join("; ") || null,
    tactics: [...(data?.tactics ?? []), ...alerts.flatMap((a) => a.properties.tactics ?? [])],
    techniques: [...(data?.techniques ?? []), ...alerts.flatMap((a) => a.properties.techniques ?? [])],
    product: products.filter(Boolean).join(", ") || null,
  });
}

function summaryOf(incident: Incident, vendor: string): AlertSummary {
  const kind = kindOf(incident, []);
  return {
    id: incident.name,
    family: kind.family,
    type: kind.type,
    title: (incident.properties.title || incident.name).slice(0, 512),
    severity: normalizeSeverity(incident.properties.severity),
    createdAt: new Date(createdMs(incident, vendor)).toISOString(),
  };
}

/** The playbook hints of classify.ts that the entities can give, for the alert's family. */
function hints(family: AlertKind["family"], facts: EntityFacts): Record<string, unknown> {
  const first = (list: string[]) => list[0];
  const defined = (o: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(o).filter(([, v]) => v !== undefined && !(Array.isArray(v) && !v.length)),
    );
  switch (family) {
    case "email":
      return defined({ mailbox: first(facts.mailboxes), internetMessageId: first(facts.internetMessageIds) });
    case "identity":
      return defined({ user: first(facts.users), ips: facts.ips });
    case "endpoint":
      return defined({
        hostname: first(facts.hosts),
        hostId: first(facts.hostIds),
        user: first(facts.users),
      });
    case "network":
      return defined({ sourceHost: first(facts.hosts), sourceIp: first(facts.ips) });
  }
}

export function createSentinelAlerts(options: {
  vendor: string;
  http: () => HttpClient;
  /** …/providers/Microsoft.SecurityInsights of the workspace. */
  basePath: () => string;
  apiVersion: string;
  pageSize: number;
}): AlertSource {
  const { vendor } = options;
  const apiVersion = { "api-version": options.apiVersion };
  const incidentPath = (id: string) => `${options.basePath()}/incidents/${encodeURIComponent(id)}`;

  return {
    name: vendor,
    async listAlerts(query, call) {
      const limit = query.limit ?? DEFAULT_LIMIT;
      const after = query.since === undefined ? undefined : queryInstant(query.since, "since", vendor);
      // "Strictly after since" at the millisecond precision of our timestamps (and of stored watermarks):
      // an incident created within since's millisecond was already listed.
      const from = after === undefined ? undefined : new Date(after + 1).toISOString();
      const incidents = await collectPages(
        options.http(),
        {
          path: `${options.basePath()}/incidents`,
          query: {
            ...apiVersion,
            $filter: from === undefined ? undefined : `properties/createdTimeUtc ge ${from}`,
            $orderby: "properties/createdTimeUtc asc",
            $top: Math.min(limit, options.pageSize),
          },
        },
        incidentSchema,
        { max: limit, ...(call?.signal ? { signal: call.signal } : {}) },
      );
      return incidents
        .map((incident) => summaryOf(incident, vendor))
        .filter((s) => after === undefined || Date.parse(s.createdAt) > after)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .slice(0, limit);
    },
    async getAlert(id, call) {
      if (!INCIDENT_NAME.test(id))
        throw new ToolError("NOT_FOUND", `${vendor}: no incident ${JSON.stringify(id.slice(0, 80))}`, {
          vendor,
        });
      const http = options.http();
      const signal = call?.signal ? { signal: call.signal } : {};
      const incident = await http.json({
        path: incidentPath(id),
        query: apiVersion,
        schema: incidentSchema,
        ...signal,
      });
      const [alerts, entities] = await Promise.all([
        http.json({
          method: "POST",
          path: `${incidentPath(id)}/alerts`,
          query: apiVersion,
          schema: z.object({ value: z.array(securityAlertSchema) }),
          ...signal,
        }),
        http.json({
          method: "POST",
          path: `${incidentPath(id)}/entities`,
          query: apiVersion,
          schema: z.object({ entities: z.array(entitySchema) }),
          ...signal,
        }),
      ]);
      const kind = kindOf(incident, alerts.value);
      const { observables, facts } = readEntities(entities.entities);
      const p = incident.properties;
      const alert: Alert = {
        ...summaryOf(incident, vendor),
        source: vendor,
        family: kind.family,
        type: kind.type,
        description: (p.description ?? "").slice(0, 20_000),
        observables: observables.slice(0, 500),
        raw: {
          ...hints(kind.family, facts),
          vendor: {
            name: incident.name,
            incidentNumber: p.incidentNumber ?? null,
            status: p.status ?? null,
            severity: p.severity ?? null,
            createdTimeUtc: p.createdTimeUtc,
            incidentUrl: p.incidentUrl ?? null,
            alertProductNames: p.additionalData?.alertProductNames ?? [],
            tactics: p.additionalData?.tactics ?? [],
            alerts: alerts.value.slice(0, 20).map((a) => a.properties),
          },
        },
      };
      return alert;
    },
  };
}
