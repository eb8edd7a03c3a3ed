/**
 * An Elastic Security 8.x detection alert document as our Alert. Alert documents hold `kibana.alert.*` as
 * dotted keys beside the source event's ECS fields (nested); both are read through flattenDocument.
 *
 * - id: kibana.alert.uuid (the document _id when absent); createdAt: @timestamp (when the alert was made);
 *   title: kibana.alert.rule.name; description: kibana.alert.reason, else the rule's description;
 *   severity: kibana.alert.severity, else kibana.alert.risk_score by band.
 * - family and type: classifyAlert over the rule name, the rule's tags (as category: rule authors tag
 *   "Impossible Travel", "Phishing"…), MITRE techniques and sub-techniques and tactics of
 *   kibana.alert.rule.threat, and the event's module and dataset (as product).
 * - observables: from the ECS fields of the table below, nothing guessed (a sender's domain is not derived
 *   from the address; recipients are the mailbox hint, not observables).
 * - raw: the playbook hints classify.ts lists, where the fields exist, and the document trimmed under `vendor`.
 */
import { ToolError } from "../../../core/errors.ts";
import type { Alert, AlertFamily, Observable, ObservableType } from "../../../core/domain.ts";
import { classifyAlert, normalizeSeverity } from "../classify.ts";
import { VENDOR } from "./config.ts";
import {
  allStrings,
  eventFields,
  firstString,
  flattenDocument,
  isoInstant,
  type FlatDocument,
} from "./flatten.ts";
import type { Hit } from "./siem.ts";

interface ObservableField {
  field: string;
  type: ObservableType;
  role?: string | ((family: AlertFamily) => string);
  lower?: boolean;
}

const OBSERVABLE_FIELDS: ObservableField[] = [
  { field: "email.from.address", type: "email", role: "sender", lower: true },
  { field: "email.sender.address", type: "email", role: "sender", lower: true },
  { field: "email.reply_to.address", type: "email", role: "reply_to", lower: true },
  { field: "email.message_id", type: "message_id" },
  { field: "user.name", type: "user", role: "actor" },
  { field: "user.target.name", type: "user", role: "target" },
  { field: "source.ip", type: "ip", role: "source" },
  { field: "client.ip", type: "ip", role: "source" },
  { field: "destination.ip", type: "ip", role: "destination" },
  { field: "server.ip", type: "ip", role: "destination" },
  // The host is where an endpoint alert happened, and where a network alert (a scan) came from.
  { field: "host.name", type: "host", role: (f) => (f === "network" ? "source" : "target"), lower: true },
  { field: "url.full", type: "url", role: "url" },
  { field: "url.domain", type: "domain", role: "url", lower: true },
  { field: "destination.domain", type: "domain", role: "destination", lower: true },
  { field: "dns.question.name", type: "domain", role: "query", lower: true },
  { field: "process.executable", type: "process", role: "actor", lower: true },
  { field: "process.hash.sha256", type: "file_hash", role: "actor", lower: true },
  { field: "file.hash.sha256", type: "file_hash", role: "file", lower: true },
  { field: "file.hash.sha1", type: "file_hash", role: "file", lower: true },
  { field: "file.hash.md5", type: "file_hash", role: "file", lower: true },
  { field: "file.name", type: "file_name", role: "file" },
];

function observablesOf(flat: FlatDocument, family: AlertFamily): Observable[] {
  const seen = new Set<string>();
  const out: Observable[] = [];
  for (const spec of OBSERVABLE_FIELDS) {
    const role = typeof spec.role === "function" ? spec.role(family) : spec.role;
    for (const raw of allStrings(flat, spec.field)) {
      const value = spec.lower ? raw.trim().toLowerCase() : raw.trim();
      const key = `${spec.type}\u0000${value}\u0000${role ?? ""}`;
      if (!value || value.length > 2048 || seen.has(key) || out.length >= 500) continue;
      seen.add(key);
      out.push({ type: spec.type, value, ...(role ? { role } : {}) });
    }
  }
  return out;
}

/** The hints of classify.ts that the document's fields give. */
function hintsOf(flat: FlatDocument): Record<string, unknown> {
  const hints: Record<string, unknown> = {
    mailbox: firstString(flat, "email.to.address"),
    mailId: firstString(flat, "email.local_id"),
    internetMessageId: firstString(flat, "email.message_id"),
    user: firstString(flat, "user.name") ?? firstString(flat, "user.email"),
    hostname: firstString(flat, "host.name"),
    hostId: firstString(flat, "host.id") ?? firstString(flat, "agent.id"),
    processId: firstString(flat, "process.entity_id"),
    sourceHost: firstString(flat, "host.name") ?? firstString(flat, "source.domain"),
    sourceIp: firstString(flat, "source.ip"),
  };
  const ips = [...new Set(allStrings(flat, "source.ip"))];
  if (ips.length > 0) hints.ips = ips;
  return Object.fromEntries(Object.entries(hints).filter(([, v]) => v !== undefined));
}

/** Bulky or internal keys left out of raw.vendor. */
const TRIMMED = [
  "kibana.alert.ancestors",
  "kibana.alert.rule.parameters",
  "kibana.alert.rule.meta",
  "kibana.alert.original_event.original",
  "event.original",
];
const MAX_VENDOR_KEYS = 200;
const MAX_VENDOR_TEXT = 1_000;

function trimmedDocument(hit: Hit, flat: FlatDocument): Record<string, unknown> {
  const fields = Object.entries(eventFields(flat))
    .filter(([key]) => !TRIMMED.some((t) => key === t || key.startsWith(`${t}.`)))
    .slice(0, MAX_VENDOR_KEYS)
    .map(([key, value]) => [
      key,
      typeof value === "string" && value.length > MAX_VENDOR_TEXT
        ? `${value.slice(0, MAX_VENDOR_TEXT)}…`
        : value,
    ]);
  return { _id: hit._id, _index: hit._index ?? null, fields: Object.fromEntries(fields) };
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The alert of one search hit; BAD_RESPONSE when it has no readable @timestamp. */
export function alertOfHit(hit: Hit): Alert {
  const flat = flattenDocument(hit._source ?? {});
  const id = firstString(flat, "kibana.alert.uuid") ?? hit._id;
  const createdAt = isoInstant(flat.get("@timestamp")?.[0]);
  if (!createdAt)
    throw new ToolError("BAD_RESPONSE", `${VENDOR}: alert ${id} has no readable @timestamp`, {
      vendor: VENDOR,
    });
  const title = firstString(flat, "kibana.alert.rule.name")?.trim() || `Elastic Security alert ${id}`;
  const threat = "kibana.alert.rule.threat";
  const techniques = [
    ...allStrings(flat, `${threat}.technique.subtechnique.id`),
    ...allStrings(flat, `${threat}.technique.id`),
  ];
  const tags = allStrings(flat, "kibana.alert.rule.tags");
  const kind = classifyAlert({
    title,
    techniques,
    tactics: allStrings(flat, `${threat}.tactic.name`),
    category: tags.length > 0 ? tags.join(" | ") : null,
    product:
      [firstString(flat, "event.module"), firstString(flat, "event.dataset")].filter(Boolean).join(" ") ||
      null,
  });
  const riskScore = flat.get("kibana.alert.risk_score")?.[0];
  const severity =
    firstString(flat, "kibana.alert.severity") ?? (typeof riskScore === "number" ? riskScore : null);
  return {
    id: clip(id, 200),
    source: VENDOR,
    family: kind.family,
    type: kind.type,
    title: clip(title, 512),
    description: clip(
      firstString(flat, "kibana.alert.reason") ?? firstString(flat, "kibana.alert.rule.description") ?? "",
      20_000,
    ),
    severity: normalizeSeverity(severity),
    createdAt,
    observables: observablesOf(flat, kind.family),
    raw: { ...hintsOf(flat), attack: [...new Set(techniques)], vendor: trimmedDocument(hit, flat) },
  };
}
