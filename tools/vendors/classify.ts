/**
 * Turns a vendor's alert into the family and detection type that choose our playbook, from what every
 * vendor reports in some form: a title, MITRE tactics and techniques, a category, the product.
 *
 * The playbooks also read hints from `alert.raw`; an adapter fills the ones it knows, beside the vendor's
 * own document under `raw.vendor`:
 * - email:    mailbox, mailId (the mail system's id of the reported copy), internetMessageId, reporter
 * - identity: user (UPN), ips, signInIds, ruleId
 * - endpoint: hostname, hostId (the EDR's id), processId, user
 * - network:  sourceHost, sourceIp
 */
import type { AlertFamily } from "../../core/domain.ts";

export interface AlertTraits {
  title: string;
  tactics?: readonly string[];
  techniques?: readonly string[];
  category?: string | null;
  product?: string | null;
}

export interface AlertKind {
  family: AlertFamily;
  /** One of the playbook types (user_reported_phish, impossible_travel, suspicious_sign_in, mfa_fatigue,
   * suspicious_inbox_rule, suspicious_process, credential_dumping, port_scan) or a family default. */
  type: string;
}

const RULES: Array<{ test: RegExp; kind: AlertKind }> = [
  {
    test: /\b(user[- ]reported|reported (phish|message|email)|phish(ing)? report)/i,
    kind: { family: "email", type: "user_reported_phish" },
  },
  {
    test: /\b(impossible travel|atypical travel|unfamiliar (location|sign-?in))/i,
    kind: { family: "identity", type: "impossible_travel" },
  },
  {
    test: /\b(mfa (fatigue|spam|bombing|push)|multiple mfa|mfa request(s)? denied)/i,
    kind: { family: "identity", type: "mfa_fatigue" },
  },
  {
    test: /\b(inbox (rule|forward)|forwarding rule|mailbox rule)/i,
    kind: { family: "identity", type: "suspicious_inbox_rule" },
  },
  {
    test: /\b(credential dump|lsass|mimikatz|os credential)/i,
    kind: { family: "endpoint", type: "credential_dumping" },
  },
  { test: /\b(port ?scan|network scan|host scan)/i, kind: { family: "network", type: "port_scan" } },
  {
    test: /\b(sign-?in|logon|login|password spray|brute.?force|anonymous ip|leaked credential|risky user)/i,
    kind: { family: "identity", type: "suspicious_sign_in" },
  },
  {
    test: /\b(phish|malicious (email|url click|attachment)|email messages? containing|spoof|impersonat|bec\b|business email)/i,
    kind: { family: "email", type: "user_reported_phish" },
  },
];

const TECHNIQUES: Array<{ prefix: string; kind: AlertKind }> = [
  { prefix: "T1003", kind: { family: "endpoint", type: "credential_dumping" } },
  { prefix: "T1046", kind: { family: "network", type: "port_scan" } },
  { prefix: "T1621", kind: { family: "identity", type: "mfa_fatigue" } },
  { prefix: "T1114", kind: { family: "identity", type: "suspicious_inbox_rule" } },
  { prefix: "T1566", kind: { family: "email", type: "user_reported_phish" } },
  { prefix: "T1078", kind: { family: "identity", type: "suspicious_sign_in" } },
  { prefix: "T1110", kind: { family: "identity", type: "suspicious_sign_in" } },
];

/** The title decides first (it is the most specific), then techniques, then the product and tactics. */
export function classifyAlert(traits: AlertTraits): AlertKind {
  const text = [traits.title, traits.category ?? ""].join(" ");
  for (const rule of RULES) if (rule.test.test(text)) return rule.kind;
  for (const technique of traits.techniques ?? [])
    for (const t of TECHNIQUES) if (technique.toUpperCase().startsWith(t.prefix)) return t.kind;
  const product = (traits.product ?? "").toLowerCase();
  if (/office 365|defender for office|exchange|mail|gmail/.test(product))
    return { family: "email", type: "user_reported_phish" };
  if (/identity|entra|azure ad|active directory|okta/.test(product))
    return { family: "identity", type: "suspicious_sign_in" };
  const tactics = (traits.tactics ?? []).map((t) => t.toLowerCase().replace(/[^a-z]/g, ""));
  if (tactics.includes("initialaccess") && /mail|phish/i.test(text))
    return { family: "email", type: "user_reported_phish" };
  if (tactics.includes("discovery") && /network|scan/i.test(text))
    return { family: "network", type: "port_scan" };
  if (tactics.includes("credentialaccess") && /sign|logon|login/i.test(text))
    return { family: "identity", type: "suspicious_sign_in" };
  return { family: "endpoint", type: "suspicious_process" };
}

/** Severity words of every vendor onto ours; numbers (1-100, CrowdStrike) by band. */
export function normalizeSeverity(
  value: string | number | null | undefined,
): "informational" | "low" | "medium" | "high" | "critical" {
  if (typeof value === "number") {
    if (value >= 90) return "critical";
    if (value >= 70) return "high";
    if (value >= 40) return "medium";
    if (value >= 20) return "low";
    return "informational";
  }
  const word = (value ?? "").toLowerCase();
  if (/^\d+$/.test(word)) return normalizeSeverity(Number(word));
  if (word.startsWith("crit")) return "critical";
  if (word.startsWith("high")) return "high";
  if (word.startsWith("med")) return "medium";
  if (word.startsWith("low")) return "low";
  return "informational";
}
