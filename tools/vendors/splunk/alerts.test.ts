import { afterEach, describe, expect, it } from "vitest";
import { isToolError } from "../../../core/errors.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { alertSchema } from "../../../core/domain.ts";
import { kindOf, observablesOf, toAlert } from "./notable.ts";
import type { Row } from "./search.ts";
import { notable } from "./testing/seed.ts";
import { portOf, searchesOf, startHarness, type Harness } from "./testing/harness.ts";

let harness: Harness | undefined;
afterEach(async () => harness?.close());
const start = async (options: Parameters<typeof startHarness>[0] = {}) =>
  (harness = await startHarness(options));

const T = (minutes: number) =>
  new Date(Date.parse("2026-11-03T10:00:00.000Z") + minutes * 60_000).toISOString();

/** n phishing notables a minute apart. */
const phish = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    notable(
      {
        id: `N-${i}`,
        source: "lab",
        family: "email",
        type: "user_reported_phish",
        title: `Reported: ${i}`,
        description: "",
        severity: "low",
        createdAt: T(i),
        observables: [{ type: "email", value: `x${i}@evil.test`, role: "sender" }],
      },
      i,
    ),
  );

describe("notables as alerts", () => {
  it("fetches one notable by event_id over all time and maps it", async () => {
    const h = await start();
    const alert = alertSchema.parse(await portOf(h, "alerts").getAlert("FX-2"));
    expect(searchesOf(h.fake)).toEqual([
      {
        search: 'search index=notable event_id="FX-2" | head 1',
        earliest_time: "0",
        exec_mode: "normal",
        output_mode: "json",
      },
    ]);
    const expected = FIXTURE.alerts[1];
    expect(alert).toMatchObject({
      id: "FX-2",
      source: "splunk",
      family: "identity",
      type: "impossible_travel",
      title: "Travel: bob",
      severity: "medium",
      createdAt: expected?.createdAt,
      observables: [{ type: "user", value: "bob@corp.test", role: "actor" }],
      raw: { user: "bob@corp.test", ruleId: "FX-2" },
    });
    expect(alert.raw.vendor).toMatchObject({
      rule_name: "Access - Geographically Improbable Access Detected - Rule",
      security_domain: "access",
      urgency: "medium",
      orig_sid: expect.stringContaining("scheduler__"),
    });
    expect(Object.keys(alert.raw.vendor ?? {}).filter((k) => /^_(bkt|cd|raw|si)|punct/.test(k))).toEqual([]);
  });

  it("answers NOT_FOUND for an unknown id, hostile or not, without running it as SPL", async () => {
    const h = await start();
    for (const id of [FIXTURE.unknown.alertId, 'FX-1" OR event_id="*', "FX-1 | delete"]) {
      const error = await portOf(h, "alerts")
        .getAlert(id)
        .catch((e: unknown) => e);
      expect(isToolError(error) && error.code).toBe("NOT_FOUND");
    }
    expect(searchesOf(h.fake)[1]?.search).toBe(
      `search index=notable | where match('event_id', urldecode("(%3Fi)%5EFX-1%22%20OR%20event_id%3D%22%5C*%24")) | head 1`,
    );
  });

  it("lists strictly after the watermark, oldest first, paging up to the limit", async () => {
    const h = await start({ fake: { notables: phish(6) } });
    const listed = await portOf(h, "alerts").listAlerts({ since: T(1), limit: 3 });
    expect(listed).toEqual(
      [2, 3, 4].map((i) => ({
        id: `N-${i}`,
        family: "email",
        type: "user_reported_phish",
        title: `Reported: ${i}`,
        severity: "low",
        createdAt: T(i),
      })),
    );
    expect(searchesOf(h.fake)[0]).toMatchObject({
      search: "search index=notable | where _time>1793700060.000 | sort 3 _time",
      earliest_time: "1793700060.000",
    });
    const pages = h.fake.requests
      .filter((r) => r.path.endsWith("/results"))
      .map((r) => r.query.get("offset"));
    expect(pages).toEqual(["0", "2"]);
  });

  it("skips a notable without an event_id, which could never be fetched again", async () => {
    const [first, second] = phish(2);
    if (!first || !second) throw new Error("no notables");
    delete first.fields.event_id;
    const h = await start({ fake: { notables: [first, second] } });
    expect((await portOf(h, "alerts").listAlerts({})).map((a) => a.id)).toEqual(["N-1"]);
  });
});

describe("the notable mapping", () => {
  const row = (fields: Record<string, string | string[]>): Row => ({
    _time: "2026-11-03T11:00:00.000+01:00",
    ...fields,
  });

  it("takes observables from the CIM fields a correlation search carries, with roles", () => {
    const r = row({
      event_id: "n-1",
      rule_name: "Endpoint - Suspicious Process - Rule",
      src: ["10.0.0.5", "ws-01.corp.test"],
      dest: "2001:db8::1",
      user: "ann@corp.test",
      src_user: "svc-backup",
      dest_user: "bob@corp.test",
      url: "https://Evil.test/x",
      url_domain: "Evil.TEST",
      file_hash: "AB".repeat(32),
      file_name: "x.exe",
      message_id: "<m@evil.test>",
      recipient: "unknown",
    });
    expect(observablesOf(r, "endpoint")).toEqual([
      { type: "ip", value: "10.0.0.5", role: "source" },
      { type: "host", value: "ws-01.corp.test", role: "source" },
      { type: "ip", value: "2001:db8::1", role: "destination" },
      { type: "user", value: "ann@corp.test", role: "actor" },
      { type: "user", value: "svc-backup", role: "actor" },
      { type: "user", value: "bob@corp.test", role: "target" },
      { type: "url", value: "https://Evil.test/x", role: "url" },
      { type: "domain", value: "evil.test", role: "domain" },
      { type: "file_hash", value: "ab".repeat(32), role: "file" },
      { type: "file_name", value: "x.exe", role: "file" },
      { type: "message_id", value: "<m@evil.test>", role: "message" },
    ]);
    // CIM Email's src_user is the sender.
    expect(observablesOf(row({ src_user: "AP@Evil.test" }), "email")).toEqual([
      { type: "email", value: "ap@evil.test", role: "sender" },
    ]);
  });

  it("classifies by correlation search name, MITRE annotations, then security domain", () => {
    expect(kindOf(row({ rule_name: "Access - Geographically Improbable Access Detected - Rule" }))).toEqual({
      family: "identity",
      type: "impossible_travel",
    });
    expect(
      kindOf(row({ rule_title: "Weird thing on ws-01", "annotations.mitre_attack": ["T1003.001"] })),
    ).toEqual({
      family: "endpoint",
      type: "credential_dumping",
    });
    expect(kindOf(row({ rule_title: "Odd account activity", security_domain: "access" }))).toEqual({
      family: "identity",
      type: "suspicious_sign_in",
    });
    expect(kindOf(row({ rule_name: "Network - Unusual Volume of Network Activity - Rule" }))).toEqual({
      family: "endpoint",
      type: "suspicious_process",
    });
  });

  it("fills the playbook hints, normalizes urgency and time, and trims the vendor document", () => {
    const alert = alertSchema.parse(
      toAlert(
        row({
          event_id: "n-2",
          rule_name: "Email - User Reported Phishing - Rule",
          rule_title: "Reported by ann",
          rule_description: "A user reported a message.",
          urgency: "critical",
          sender: "ap@evil.test",
          recipient: "ann@corp.test",
          message_id: "<fx-1@evil.test>",
          _raw: "x".repeat(5000),
          drilldown_search: "y".repeat(5000),
        }),
      ),
    );
    expect(alert).toMatchObject({
      id: "n-2",
      family: "email",
      severity: "critical",
      description: "A user reported a message.",
      createdAt: "2026-11-03T10:00:00.000Z",
      raw: { mailbox: "ann@corp.test", internetMessageId: "<fx-1@evil.test>" },
    });
    const vendor = alert.raw.vendor;
    expect(vendor).toMatchObject({ _time: "2026-11-03T11:00:00.000+01:00" });
    expect(vendor).not.toHaveProperty("_raw");
    expect(String(Object.getOwnPropertyDescriptor(vendor, "drilldown_search")?.value)).toHaveLength(2000);
  });
});
