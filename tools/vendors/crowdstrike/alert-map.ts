/**
 * A Falcon alert (POST /alerts/entities/alerts/v2) as our Alert and as an EDR detection. Falcon alerts come
 * from several products (epp endpoint, idp identity, xdr/ngsiem/thirdparty): the device, process and user
 * fields exist only on some, so every field is optional here.
 */
import { isIP } from "node:net";
import { z } from "zod";
import type { Alert, AlertSummary, EdrDetection, Observable } from "../../../core/domain.ts";
import { classifyAlert, normalizeSeverity } from "../classify.ts";
import { isoInstant, VENDOR } from "./client.ts";

const text = z.string().nullish();
const processDetailsSchema = z
  .object({ cmdline: text, filename: text, filepath: text, sha256: text })
  .nullish();

export const falconAlertSchema = z.looseObject({
  composite_id: z.string().min(1),
  product: text,
  data_domains: z.array(z.string()).nullish(),
  display_name: text,
  name: text,
  description: text,
  severity: z.number().nullish(),
  severity_name: text,
  created_timestamp: z.string(),
  timestamp: text,
  tactic: text,
  technique: text,
  technique_id: text,
  mitre_attack: z.array(z.object({ tactic: text, technique: text, technique_id: text })).nullish(),
  cmdline: text,
  filename: text,
  filepath: text,
  sha256: text,
  user_name: text,
  process_id: z.union([z.string(), z.number()]).nullish(),
  triggering_process_graph_id: text,
  parent_details: processDetailsSchema,
  device: z.object({ device_id: text, hostname: text }).nullish(),
  agent_id: text,
  ioc_values: z.array(z.string()).nullish(),
});
export type FalconAlert = z.infer<typeof falconAlertSchema>;

const PRODUCTS: Record<string, string> = {
  epp: "Falcon Endpoint Protection",
  idp: "Falcon Identity Protection",
  xdr: "Falcon Insight XDR",
  ngsiem: "Falcon Next-Gen SIEM",
  overwatch: "Falcon OverWatch",
  mobile: "Falcon for Mobile",
  cwpp: "Falcon Cloud Workload Protection",
  thirdparty: "Third-party detection",
};

const unique = (values: Array<string | null | undefined>): string[] => [
  ...new Set(values.filter((v): v is string => typeof v === "string" && v !== "")),
];

function techniquesOf(doc: FalconAlert): string[] {
  return unique([...(doc.mitre_attack ?? []).map((m) => m.technique_id), doc.technique_id]);
}

/** Falcon's process id: from the graph id `pid:<aid>:<id>` when present, else `process_id`. */
export function processIdOf(doc: FalconAlert): string | null {
  const fromGraph = /^pid:[^:]+:(.+)$/.exec(doc.triggering_process_graph_id ?? "")?.[1];
  if (fromGraph) return fromGraph;
  return doc.process_id === null || doc.process_id === undefined ? null : String(doc.process_id);
}

const baseName = (path: string) => path.split(/[\\/]/).pop() ?? path;

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

/**
 * Indicator values by shape. Falcon documents no sender field for email-domain alerts (xdr, third-party
 * mail connectors): when such an alert lists exactly one address among `ioc_values`, it is read as the
 * sender; otherwise addresses carry no role. Bare words (file names, domains) stay out: a "malware.exe"
 * must not become a domain.
 */
function iocObservables(doc: FalconAlert): Observable[] {
  const values = (doc.ioc_values ?? []).map((v) => v.trim());
  const emailDomain = (doc.data_domains ?? []).some((d) => d.toLowerCase() === "email");
  const sender = emailDomain && values.filter((v) => EMAIL.test(v)).length === 1;
  return values.flatMap((v): Observable[] => {
    if (/^<[^<>\s@]+@[^<>\s@]+>$/.test(v)) return [{ type: "message_id", value: v }];
    if (EMAIL.test(v))
      return [{ type: "email", value: v.toLowerCase(), ...(sender ? { role: "sender" } : {}) }];
    if (isIP(v)) return [{ type: "ip", value: v }];
    if (/^https?:\/\/\S+$/i.test(v)) return [{ type: "url", value: v }];
    if (/^([a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{64})$/i.test(v))
      return [{ type: "file_hash", value: v.toLowerCase() }];
    return [];
  });
}

function observablesOf(doc: FalconAlert): Observable[] {
  const out: Observable[] = [];
  const add = (type: Observable["type"], value: string | null | undefined, role?: string) => {
    const v = value?.trim();
    if (!v || v.length > 2048) return;
    if (out.some((o) => o.type === type && o.value === v)) return;
    out.push({ type, value: v, ...(role ? { role } : {}) });
  };
  add("host", doc.device?.hostname?.toLowerCase(), "target");
  const image = doc.filepath || doc.filename;
  add("process", image ? baseName(image).toLowerCase() : null, "actor");
  add("user", doc.user_name, "actor");
  add("file_hash", doc.sha256?.toLowerCase(), "actor");
  const parent = doc.parent_details;
  const parentImage = parent?.filepath || parent?.filename;
  add("process", parentImage ? baseName(parentImage).toLowerCase() : null, "parent");
  add("file_hash", parent?.sha256?.toLowerCase(), "parent");
  for (const o of iocObservables(doc)) add(o.type, o.value, o.role);
  return out.slice(0, 500);
}

/** The vendor's document, bounded: long strings cut, long lists shortened, deep nesting summarized. */
export function trimDoc(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return value.length > 2000 ? `${value.slice(0, 2000)}…` : value;
  if (Array.isArray(value))
    return depth >= 4 ? `[${value.length} items]` : value.slice(0, 50).map((v) => trimDoc(v, depth + 1));
  if (typeof value === "object" && value !== null) {
    if (depth >= 4) return "{…}";
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, trimDoc(v, depth + 1)]));
  }
  return value;
}

const titleOf = (doc: FalconAlert) => (doc.display_name || doc.name || doc.composite_id).slice(0, 512);
// Falcon's own label first: its bands (medium from 50) differ from the generic numeric bands.
const severityOf = (doc: FalconAlert) => normalizeSeverity(doc.severity_name || doc.severity);

function kindOf(doc: FalconAlert) {
  const product = [PRODUCTS[doc.product ?? ""] ?? doc.product ?? "", ...(doc.data_domains ?? [])].join(" ");
  return classifyAlert({
    title: titleOf(doc),
    tactics: unique([...(doc.mitre_attack ?? []).map((m) => m.tactic), doc.tactic]),
    techniques: techniquesOf(doc),
    category: doc.technique ?? null,
    product,
  });
}

export function toAlertSummary(doc: FalconAlert): AlertSummary {
  const { family, type } = kindOf(doc);
  return {
    id: doc.composite_id,
    family,
    type,
    title: titleOf(doc),
    severity: severityOf(doc),
    createdAt: isoInstant(doc.created_timestamp, "created_timestamp"),
  };
}

export function toAlert(doc: FalconAlert): Alert {
  const summary = toAlertSummary(doc);
  const hostId = doc.device?.device_id || doc.agent_id;
  const processId = processIdOf(doc);
  // Playbook hints (see classify.ts): the endpoint playbook needs host, agent id and process id together.
  const hints: Record<string, unknown> = {};
  if (doc.device?.hostname && hostId && processId)
    Object.assign(hints, { hostname: doc.device.hostname, hostId, processId });
  if (doc.filepath || doc.filename) hints["image"] = doc.filepath || doc.filename;
  if (doc.cmdline) hints["commandLine"] = doc.cmdline;
  if (doc.user_name) hints["user"] = doc.user_name;
  return {
    ...summary,
    source: VENDOR,
    description: (doc.description ?? "").slice(0, 20_000),
    observables: observablesOf(doc),
    raw: { ...hints, vendor: trimDoc(doc) },
  };
}

/** An endpoint alert as a detection on its host; the host id is the agent id (`device.device_id`). */
export function toDetection(doc: FalconAlert, hostId: string): EdrDetection {
  return {
    id: doc.composite_id,
    hostId: doc.device?.device_id || doc.agent_id || hostId,
    name: titleOf(doc),
    severity: severityOf(doc),
    processId: processIdOf(doc),
    attack: techniquesOf(doc),
    timestamp: isoInstant(doc.timestamp || doc.created_timestamp, "timestamp"),
  };
}
