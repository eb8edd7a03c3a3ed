/**
 * The contract fixture as a Splunk instance would hold it: SIEM events as CIM-tagged events of common
 * sourcetypes under CIM field names, and the fixture alerts as ES notables (index=notable, sourcetype
 * stash) carrying the fields correlation searches write. Written out here, apart from the adapter's
 * defaults, so a wrong default mapping fails the contract instead of agreeing with itself.
 */
import { FIXTURE } from "../../../lab/testing/fixture.ts";
import type { Alert, SiemEvent } from "../../../../core/domain.ts";
import type { FakeRow } from "./fake-spl.ts";

const epoch = (iso: string) => Date.parse(iso) / 1000;

const SOURCES: Partial<Record<SiemEvent["dataset"], { sourcetype: string; tag: string[] }>> = {
  signin: { sourcetype: "ms:aad:signin", tag: ["authentication", "cloud"] },
  proxy: { sourcetype: "pan:threat", tag: ["web", "proxy"] },
};

const CIM: Record<string, string> = {
  "user.name": "user",
  "source.ip": "src",
  "source.geo.country_iso_code": "src_country",
  "event.outcome": "action",
  "url.domain": "url_domain",
  "http.response.status_code": "status",
};

/** Fields every indexed event has, which the adapter must not pass on. */
function bookkeeping(index: string, sourcetype: string, serial: number): FakeRow["fields"] {
  return {
    index,
    sourcetype,
    source: `${sourcetype}:input`,
    host: "hf-01",
    _bkt: `${index}~42~5E9A1C2B-0000-4000-8000-000000000042`,
    _cd: `42:${1000 + serial}`,
    _serial: String(serial),
    _si: ["idx-01", index],
    _sourcetype: sourcetype,
    _indextime: "1793700000",
    linecount: "1",
    punct: '{"":"","":""}',
    splunk_server: "idx-01",
    date_hour: "10",
    timestartpos: "0",
  };
}

export function splunkEvent(event: SiemEvent, serial = 0): FakeRow {
  const source = SOURCES[event.dataset];
  if (!source) throw new Error(`the fake has no sourcetype for dataset ${event.dataset}`);
  const fields: FakeRow["fields"] = {
    ...bookkeeping("main", source.sourcetype, serial),
    tag: source.tag,
    eventtype: [`${event.dataset}_events`],
    event_id: event.id,
  };
  for (const [name, value] of Object.entries(event.fields)) {
    const splunk = CIM[name];
    if (!splunk) throw new Error(`the fake has no CIM name for ${name}`);
    if (value !== null) fields[splunk] = String(value);
  }
  fields._raw = JSON.stringify(event.fields);
  return { time: epoch(event.timestamp), fields };
}

const RULES: Record<string, { rule_name: string; security_domain: string }> = {
  user_reported_phish: { rule_name: "Email - User Reported Phishing - Rule", security_domain: "threat" },
  impossible_travel: {
    rule_name: "Access - Geographically Improbable Access Detected - Rule",
    security_domain: "access",
  },
};

/** Where a notable carries each kind of observable. */
const OBSERVABLE_FIELD: Record<string, string> = {
  "email/sender": "sender",
  "email/recipient": "recipient",
  "user/actor": "user",
  "user/target": "dest_user",
  "ip/source": "src",
  "ip/destination": "dest",
  "host/destination": "dest",
  "url/url": "url",
  "file_hash/file": "file_hash",
};

/** An alert as the fixture holds it (its arrays read-only). */
type AlertFacts = Omit<Alert, "observables" | "raw"> & {
  observables: readonly Alert["observables"][number][];
};

export function notable(alert: AlertFacts, serial = 0): FakeRow {
  const rule = RULES[alert.type];
  if (!rule) throw new Error(`the fake has no correlation search for ${alert.type}`);
  const fields: FakeRow["fields"] = {
    ...bookkeeping("notable", "stash", serial),
    event_id: alert.id,
    rule_id: alert.id,
    rule_name: rule.rule_name,
    search_name: rule.rule_name,
    rule_title: alert.title,
    rule_description: alert.description,
    security_domain: rule.security_domain,
    urgency: alert.severity,
    severity: alert.severity,
    status: "1",
    status_label: "New",
    owner: "unassigned",
    orig_sid: `scheduler__admin__SA-AccessProtection__RMD5${serial}_at_1793700000_${serial}`,
  };
  for (const o of alert.observables) {
    const name = OBSERVABLE_FIELD[`${o.type}/${o.role ?? ""}`];
    if (!name) throw new Error(`the fake has no notable field for ${o.type}/${o.role ?? ""}`);
    const earlier = fields[name];
    fields[name] =
      earlier === undefined ? o.value : [...(Array.isArray(earlier) ? earlier : [earlier]), o.value];
  }
  return { time: epoch(alert.createdAt), fields };
}

export const fixtureEvents = (): FakeRow[] => FIXTURE.events.map((e, i) => splunkEvent(e, i));
export const fixtureNotables = (): FakeRow[] => FIXTURE.alerts.map((a, i) => notable(a, 100 + i));
