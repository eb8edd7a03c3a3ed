/**
 * An ES notable event (a row of `index=notable`) → our Alert. The title is the notable's rule_title (its
 * tokens already filled in), the kind comes from the correlation search's name, the rule title, MITRE
 * annotations and the security domain; severity from urgency. Observables come from the CIM fields
 * correlation searches carry forward (src, dest, user, src_user, dest_user, sender, recipient, url,
 * file_hash…), each with its role.
 */
import type { Alert, Observable } from "../../../core/domain.ts";
import { classifyAlert, normalizeSeverity, type AlertKind as Kind } from "../classify.ts";
import { VENDOR } from "./client.ts";
import type { Row } from "./search.ts";
import { timeOf } from "./siem.ts";

const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;
const IPV6 = /^[0-9a-f]*:[0-9a-f:.]+$/i;
const isIp = (value: string) => IPV4.test(value) || IPV6.test(value);

const values = (row: Row, name: string): string[] => {
  const value = row[name];
  return (Array.isArray(value) ? value : value === undefined ? [] : [value])
    .map((v) => v.trim())
    .filter((v) => v !== "" && v !== "unknown");
};
const one = (row: Row, ...names: string[]) => names.map((n) => values(row, n)[0]).find(Boolean);

/** ES correlation searches whose names the generic rules do not recognise. */
const ES_RULES: Array<{ test: RegExp; kind: Kind }> = [
  {
    test: /geographically improbable access/i,
    kind: { family: "identity", type: "impossible_travel" },
  },
  {
    test: /excessive failed logins|brute force access/i,
    kind: { family: "identity", type: "suspicious_sign_in" },
  },
  { test: /network.*(port|host) scan|port scanning/i, kind: { family: "network", type: "port_scan" } },
];

/** ES security domains that point at a family where the name says nothing more specific. */
const DOMAIN_PRODUCT: Record<string, string> = { access: "identity", identity: "identity" };

export function kindOf(row: Row): Kind {
  const name = [one(row, "rule_name"), one(row, "search_name"), one(row, "rule_title")]
    .filter(Boolean)
    .join(" ");
  for (const rule of ES_RULES) if (rule.test.test(name)) return rule.kind;
  const domain = (one(row, "security_domain") ?? "").toLowerCase();
  return classifyAlert({
    title: one(row, "rule_title", "rule_name", "search_name") ?? "",
    category: [one(row, "rule_name"), one(row, "search_name")].filter(Boolean).join(" ") || null,
    techniques: values(row, "annotations.mitre_attack"),
    tactics: values(row, "annotations.mitre_attack.mitre_tactic"),
    product: DOMAIN_PRODUCT[domain] ?? null,
  });
}

/** The notable fields that name observables, and what they are. */
const OBSERVABLE_FIELDS: Array<{
  field: string;
  role: string;
  type: Observable["type"] | "ip_or_host" | "email_or_user";
}> = [
  { field: "src", role: "source", type: "ip_or_host" },
  { field: "src_ip", role: "source", type: "ip" },
  { field: "dest", role: "destination", type: "ip_or_host" },
  { field: "dest_ip", role: "destination", type: "ip" },
  { field: "user", role: "actor", type: "user" },
  { field: "src_user", role: "actor", type: "email_or_user" },
  { field: "dest_user", role: "target", type: "user" },
  { field: "sender", role: "sender", type: "email" },
  { field: "recipient", role: "recipient", type: "email" },
  { field: "url", role: "url", type: "url" },
  { field: "url_domain", role: "domain", type: "domain" },
  { field: "file_hash", role: "file", type: "file_hash" },
  { field: "file_name", role: "file", type: "file_name" },
  { field: "message_id", role: "message", type: "message_id" },
];

export function observablesOf(row: Row, family: Alert["family"]): Observable[] {
  const out: Observable[] = [];
  const seen = new Set<string>();
  const add = (type: Observable["type"], raw: string, role: string) => {
    const lower = ["email", "domain", "file_hash"].includes(type);
    const value = (lower ? raw.toLowerCase() : raw).slice(0, 2048);
    const key = `${type}\n${value}\n${role}`;
    if (seen.has(key) || out.length >= 500) return;
    seen.add(key);
    out.push({ type, value, role });
  };
  for (const { field, role, type } of OBSERVABLE_FIELDS) {
    for (const value of values(row, field)) {
      if (type === "ip_or_host") add(isIp(value) ? "ip" : "host", value, role);
      // In CIM Email, src_user is the sender; elsewhere it is the acting account.
      else if (type === "email_or_user" && family === "email" && value.includes("@"))
        add("email", value, "sender");
      else add(type === "email_or_user" ? "user" : type, value, role);
    }
  }
  return out;
}

/** The playbook hints of classify.ts, from what the notable carries. */
function hintsOf(row: Row, family: Alert["family"]): Record<string, unknown> {
  const hints: Record<string, string | string[] | undefined> = {};
  const ips = [...values(row, "src"), ...values(row, "src_ip")].filter(isIp);
  switch (family) {
    case "email":
      hints.mailbox = one(row, "recipient", "dest_user");
      hints.internetMessageId = one(row, "message_id");
      hints.reporter = one(row, "reporter");
      break;
    case "identity":
      hints.user = one(row, "user", "src_user", "dest_user");
      hints.ips = ips.length > 0 ? ips : undefined;
      hints.ruleId = one(row, "rule_id");
      break;
    case "endpoint":
      hints.hostname = values(row, "dest").find((v) => !isIp(v)) ?? one(row, "dest_host", "host");
      hints.user = one(row, "user");
      hints.processId = one(row, "process_guid", "process_id");
      break;
    case "network":
      hints.sourceHost = values(row, "src").find((v) => !isIp(v));
      hints.sourceIp = ips[0];
      break;
  }
  return Object.fromEntries(Object.entries(hints).filter(([, v]) => v !== undefined));
}

/** The notable as evidence: Splunk's bookkeeping dropped, long values and many fields cut. */
function trimmed(row: Row): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(row)) {
    if ((key.startsWith("_") && key !== "_time") || /^(date_|punct$|linecount$|splunk_server)/.test(key))
      continue;
    if (Object.keys(out).length >= 100) break;
    out[key] = Array.isArray(value) ? value.slice(0, 20).map((v) => v.slice(0, 1000)) : value.slice(0, 2000);
  }
  return out;
}

export function toAlert(row: Row): Alert {
  const kind = kindOf(row);
  const id = one(row, "event_id") ?? "";
  return {
    id,
    source: VENDOR,
    family: kind.family,
    type: kind.type,
    title: (one(row, "rule_title", "rule_name", "search_name") ?? `Notable ${id}`).slice(0, 512),
    description: (one(row, "rule_description", "description") ?? "").slice(0, 20_000),
    severity: normalizeSeverity(one(row, "urgency", "severity")),
    createdAt: timeOf(row),
    observables: observablesOf(row, kind.family),
    raw: { ...hintsOf(row, kind.family), vendor: trimmed(row) },
  };
}
