/**
 * The contract fixture in Elastic's shapes: SIEM events as nested ECS documents in data-stream-like indices
 * (with event.category as ECS writes it, an array), and alerts as Elastic Security 8.x alert documents
 * (`kibana.alert.*` as dotted keys, the source event's ECS fields nested), plus one building-block alert
 * that lists must leave out.
 */
import type { Alert, SiemDataset, SiemEvent } from "../../../../core/domain.ts";
import type { FakeDoc } from "./fake-dsl.ts";

const DATASETS: Record<SiemDataset, { index: string; extra: Record<string, unknown> }> = {
  signin: { index: "logs-system.auth-default", extra: { "event.category": ["authentication"] } },
  proxy: { index: "logs-proxy.web-default", extra: { "event.category": ["web"] } },
  dns: {
    index: "logs-network.dns-default",
    extra: { "event.category": ["network"], "network.protocol": "dns" },
  },
  mail: { index: "logs-email.gateway-default", extra: { "event.category": ["email"] } },
  process: { index: "logs-endpoint.events.process-default", extra: { "event.category": ["process"] } },
  network: { index: "logs-network.flow-default", extra: { "event.category": ["network"] } },
  audit: { index: "logs-audit-default", extra: { "event.category": ["iam"] } },
};

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** {"a.b": 1} → {"a": {"b": 1}}. */
export function nest(flat: Record<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split(".");
    let node = root;
    for (const part of parts.slice(0, -1)) {
      const child = node[part];
      if (isRecord(child)) node = child;
      else node = node[part] = {};
    }
    node[parts.at(-1) ?? key] = value;
  }
  return root;
}

export function eventDocument(event: SiemEvent): FakeDoc {
  const { index, extra } = DATASETS[event.dataset];
  return {
    _id: event.id,
    _index: index,
    _source: nest({ "@timestamp": event.timestamp, ...event.fields, ...extra }),
  };
}

/** What a rule for each detection type carries: MITRE techniques, or tags where ATT&CK has no such thing. */
const RULE_TRAITS: Record<string, { technique?: [string, string, string]; tags?: string[] }> = {
  user_reported_phish: { technique: ["T1566", "Phishing", "Initial Access"] },
  impossible_travel: { tags: ["Impossible Travel", "Domain: Identity"] },
  suspicious_sign_in: { technique: ["T1078", "Valid Accounts", "Initial Access"] },
  mfa_fatigue: {
    technique: ["T1621", "Multi-Factor Authentication Request Generation", "Credential Access"],
  },
  suspicious_inbox_rule: { technique: ["T1114", "Email Collection", "Collection"] },
  credential_dumping: { technique: ["T1003", "OS Credential Dumping", "Credential Access"] },
  port_scan: { technique: ["T1046", "Network Service Discovery", "Discovery"] },
};

/** Where each observable lives in ECS, by type and role. */
const OBSERVABLE_FIELD: Record<string, string> = {
  "email/sender": "email.from.address",
  "email/reply_to": "email.reply_to.address",
  "message_id/": "email.message_id",
  "user/actor": "user.name",
  "user/target": "user.target.name",
  "ip/source": "source.ip",
  "ip/destination": "destination.ip",
  "host/target": "host.name",
  "host/source": "host.name",
  "url/url": "url.full",
  "domain/destination": "destination.domain",
  "process/actor": "process.executable",
  "file_hash/file": "file.hash.sha256",
};

const RISK: Record<Alert["severity"], number> = {
  informational: 5,
  low: 21,
  medium: 47,
  high: 73,
  critical: 99,
};

export function alertDocument(alert: Alert, space = "default", extra: Record<string, unknown> = {}): FakeDoc {
  const traits = RULE_TRAITS[alert.type] ?? {};
  const ecs: Record<string, unknown> = {};
  for (const o of alert.observables) {
    const field = OBSERVABLE_FIELD[`${o.type}/${o.role ?? ""}`];
    if (field) ecs[field] = o.value;
  }
  const hint = (key: string) => (typeof alert.raw[key] === "string" ? alert.raw[key] : undefined);
  if (hint("mailbox")) ecs["email.to.address"] = [hint("mailbox")];
  if (hint("mailId")) ecs["email.local_id"] = hint("mailId");
  const threat = traits.technique
    ? [
        {
          framework: "MITRE ATT&CK",
          tactic: { id: "TA0000", name: traits.technique[2], reference: "https://attack.mitre.org/tactics/" },
          technique: [
            { id: traits.technique[0], name: traits.technique[1], reference: "", subtechnique: [] },
          ],
        },
      ]
    : [];
  return {
    _id: alert.id,
    _index: `.internal.alerts-security.alerts-${space}-000001`,
    _source: {
      "@timestamp": alert.createdAt,
      "kibana.alert.uuid": alert.id,
      "kibana.alert.rule.name": alert.title,
      "kibana.alert.rule.uuid": `rule-${alert.type}`,
      "kibana.alert.rule.description": `Detects ${alert.type.replace(/_/g, " ")}.`,
      "kibana.alert.rule.tags": traits.tags ?? [],
      "kibana.alert.rule.threat": threat,
      "kibana.alert.rule.parameters": { index: ["logs-*"], language: "kuery", query: "*" },
      "kibana.alert.severity": alert.severity,
      "kibana.alert.risk_score": RISK[alert.severity],
      "kibana.alert.workflow_status": "open",
      "kibana.alert.reason": alert.description || `event created ${alert.severity} alert ${alert.title}.`,
      "kibana.alert.original_time": alert.createdAt,
      "kibana.alert.ancestors": [{ id: `src-${alert.id}`, index: "logs-*", type: "event", depth: 0 }],
      "kibana.space_ids": [space],
      "event.kind": "signal",
      ...nest(ecs),
      ...extra,
    },
  };
}

/** A building-block alert (inside the fixture window): lists must not show it. */
export function buildingBlockDocument(createdAt: string, space = "default"): FakeDoc {
  return alertDocument(
    {
      id: "BB-1",
      source: "elastic",
      family: "identity",
      type: "suspicious_sign_in",
      title: "Building block: sign-in from a new country",
      description: "",
      severity: "low",
      createdAt,
      observables: [{ type: "user", value: "bob@corp.test", role: "actor" }],
      raw: {},
    },
    space,
    { "kibana.alert.building_block_type": "default" },
  );
}
