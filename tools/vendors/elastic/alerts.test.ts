import { afterEach, describe, expect, it } from "vitest";
import { isToolError } from "../../../core/errors.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { jsonOf } from "../../testing/fake-http.ts";
import { alertSchema, type Alert } from "../../../core/domain.ts";
import { type AlertSource } from "../../../core/ports.ts";
import type { FakeDoc } from "./testing/fake-dsl.ts";
import { FAKE_API_KEY } from "./testing/fake.ts";
import { harness, type Harness } from "./testing/setup.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.fake.close();
  h = undefined;
});

async function alerts(...args: Parameters<typeof harness>): Promise<AlertSource> {
  h = await harness(...args);
  if (!h.instance.alerts) throw new Error("no alerts port");
  return h.instance.alerts;
}
const searches = () =>
  (h?.fake.kibana.requests ?? []).filter((r) => r.path.endsWith("/api/detection_engine/signals/search"));

const at = (minutes: number) =>
  new Date(Date.parse("2026-11-03T10:00:00.000Z") + minutes * 60_000).toISOString();
const simple = (id: string, createdAt: string): Alert => ({
  id,
  source: "elastic",
  family: "identity",
  type: "suspicious_sign_in",
  title: `Sign-in ${id}`,
  description: "",
  severity: "low",
  createdAt,
  observables: [],
  raw: {},
});

/** An Elastic Defend credential-access alert as stored, rich in ECS fields. */
const endpointDoc: FakeDoc = {
  _id: "ep-1",
  _index: ".internal.alerts-security.alerts-default-000001",
  _source: {
    "@timestamp": at(5),
    "kibana.alert.uuid": "ep-1",
    "kibana.alert.rule.name": "Potential Credential Access via LSASS Memory Dump",
    "kibana.alert.risk_score": 73,
    "kibana.alert.rule.threat": [
      {
        framework: "MITRE ATT&CK",
        tactic: { id: "TA0006", name: "Credential Access" },
        technique: [{ id: "T1003", name: "OS Credential Dumping", subtechnique: [{ id: "T1003.001" }] }],
      },
    ],
    "kibana.alert.rule.parameters": { query: "x".repeat(5000) },
    "kibana.alert.reason": "process event with process procdump.exe created high alert.",
    host: { name: "WS-01", id: "h-1", ip: ["10.0.0.5", "fe80::1"] },
    process: {
      entity_id: "p-ps",
      executable: "C:\\Tools\\ProcDump.exe",
      hash: { sha256: "A".repeat(64) },
    },
    user: { name: "ann@corp.test" },
    destination: { ip: "45.9.9.9" },
    file: { hash: { sha256: "b".repeat(64) }, name: "lsass.dmp" },
    "event.module": "endpoint",
  },
};

describe("elastic alerts", () => {
  it("maps an 8.x alert document to our Alert with its hints and the trimmed document", async () => {
    const port = await alerts();
    const alert = alertSchema.parse(await port.getAlert("FX-1"));
    expect(alert).toMatchObject({
      id: "FX-1",
      source: "elastic",
      family: "email",
      type: "user_reported_phish",
      title: "Reported: invoice",
      severity: "medium",
      createdAt: FIXTURE.alerts[0]?.createdAt,
      observables: [{ type: "email", value: "ap@evil.test", role: "sender" }],
      raw: { mailbox: "ann@corp.test", mailId: "m-1", attack: ["T1566"] },
    });
    expect(alert.raw.vendor).toMatchObject({
      _id: "FX-1",
      fields: { "kibana.alert.rule.name": "Reported: invoice", "kibana.alert.workflow_status": "open" },
    });
    const second = await port.getAlert("FX-2");
    expect(second).toMatchObject({
      family: "identity",
      type: "impossible_travel",
      raw: { user: "bob@corp.test" },
    });
    expect(second.observables).toEqual(FIXTURE.alerts[1]?.observables);
  });

  it("searches by _id or kibana.alert.uuid with the Kibana headers", async () => {
    const port = await alerts();
    await port.getAlert("FX-2");
    const [request] = searches();
    expect(request?.path).toBe("/api/detection_engine/signals/search");
    expect(request?.headers).toMatchObject({
      authorization: `ApiKey ${FAKE_API_KEY}`,
      "kbn-xsrf": "soc-triage",
      "elastic-api-version": "2023-10-31",
    });
    expect(jsonOf(request!)).toEqual({
      query: {
        bool: {
          should: [{ ids: { values: ["FX-2"] } }, { term: { "kibana.alert.uuid": "FX-2" } }],
          minimum_should_match: 1,
        },
      },
      size: 1,
    });
  });

  it("classifies from techniques and maps ECS fields to observables and endpoint hints", async () => {
    const port = await alerts({}, { alertDocs: [endpointDoc] });
    const alert = alertSchema.parse(await port.getAlert("ep-1"));
    expect(alert).toMatchObject({
      family: "endpoint",
      type: "credential_dumping",
      severity: "high",
      description: "process event with process procdump.exe created high alert.",
      raw: {
        hostname: "WS-01",
        hostId: "h-1",
        processId: "p-ps",
        user: "ann@corp.test",
        attack: ["T1003.001", "T1003"],
      },
    });
    expect(alert.observables).toEqual([
      { type: "user", value: "ann@corp.test", role: "actor" },
      { type: "ip", value: "45.9.9.9", role: "destination" },
      { type: "host", value: "ws-01", role: "target" },
      { type: "process", value: "c:\\tools\\procdump.exe", role: "actor" },
      { type: "file_hash", value: "a".repeat(64), role: "actor" },
      { type: "file_hash", value: "b".repeat(64), role: "file" },
      { type: "file_name", value: "lsass.dmp", role: "file" },
    ]);
    const vendor = JSON.stringify(alert.raw.vendor);
    expect(vendor).not.toContain("kibana.alert.rule.parameters");
    expect(vendor).toContain('"host.ip":"10.0.0.5, fe80::1"');
  });

  it("throws NOT_FOUND for an unknown id, and for an id that only looks like a query", async () => {
    const port = await alerts();
    for (const id of [FIXTURE.unknown.alertId, '" OR "1"="1', "*"]) {
      const error = await port.getAlert(id).catch((e: unknown) => e);
      expect(isToolError(error) && error.code).toBe("NOT_FOUND");
    }
  });

  it("lists oldest first after `since`, without building blocks, sorted by time then uuid", async () => {
    const port = await alerts();
    const since = FIXTURE.alerts[0]?.createdAt ?? "";
    const plusTwo = new Date(Date.parse(since) + 2 * 3_600_000).toISOString().replace("Z", "+02:00");
    expect((await port.listAlerts({ since: plusTwo })).map((a) => a.id)).toEqual(["FX-2"]);
    expect(jsonOf(searches()[0]!)).toEqual({
      query: {
        bool: {
          filter: [
            { range: { "@timestamp": { gt: since } } },
            { bool: { must_not: [{ exists: { field: "kibana.alert.building_block_type" } }] } },
          ],
        },
      },
      sort: [{ "@timestamp": { order: "asc" } }, { "kibana.alert.uuid": { order: "asc" } }],
      size: 500,
    });
    // BB-1 lies between FX-1 and FX-2 and is a building block.
    expect((await port.listAlerts({})).map((a) => a.id)).toEqual(["FX-1", "FX-2"]);
  });

  it("pages by (timestamp, uuid) past the page size, through alerts sharing a timestamp, to the limit", async () => {
    const docs = [
      simple("a-3", at(1)),
      simple("a-1", at(1)),
      simple("a-2", at(1)),
      simple("a-0", at(0)),
      simple("a-4", at(2)),
    ];
    const port = await alerts({ alertPageSize: 2 }, { alerts: docs, alertDocs: [] });
    expect((await port.listAlerts({})).map((a) => a.id)).toEqual(["a-0", "a-1", "a-2", "a-3", "a-4"]);
    const bodies = searches().map((r) => jsonOf(r));
    expect(bodies).toHaveLength(3);
    expect(bodies[1]).toMatchObject({
      size: 2,
      query: {
        bool: {
          filter: [
            {},
            {
              bool: {
                should: [
                  { range: { "@timestamp": { gt: at(1) } } },
                  {
                    bool: {
                      filter: [
                        { term: { "@timestamp": at(1) } },
                        { range: { "kibana.alert.uuid": { gt: "a-1" } } },
                      ],
                    },
                  },
                ],
                minimum_should_match: 1,
              },
            },
          ],
        },
      },
    });
    expect((await port.listAlerts({ limit: 3 })).map((a) => a.id)).toEqual(["a-0", "a-1", "a-2"]);
    expect(searches()).toHaveLength(5);
    expect(jsonOf(searches()[4]!)).toMatchObject({ size: 1 });
  });

  it("uses the /s/<space> prefix for a non-default space", async () => {
    const port = await alerts({ space: "soc" }, { space: "soc" });
    expect((await port.listAlerts({})).map((a) => a.id)).toEqual(["FX-1", "FX-2"]);
    expect(searches()[0]?.path).toBe("/s/soc/api/detection_engine/signals/search");
  });

  it("retries a throttled Kibana search, and reports Kibana's own error text", async () => {
    const port = await alerts({}, {}, undefined, { retry: { retries: 1 } });
    h?.fake.kibana.inject({
      status: 429,
      body: { statusCode: 429, error: "Too Many Requests", message: "slow down" },
    });
    expect((await port.listAlerts({})).map((a) => a.id)).toEqual(["FX-1", "FX-2"]);
    h?.fake.kibana.inject(
      { status: 500, body: { statusCode: 500, error: "Internal Server Error", message: "boom" } },
      { times: 2 },
    );
    const error = await port.listAlerts({}).catch((e: unknown) => e);
    expect(isToolError(error) && [error.code, error.message]).toEqual([
      "UPSTREAM_ERROR",
      "elastic: POST /api/detection_engine/signals/search: HTTP 500 boom",
    ]);
  });

  it("lists no alerts when Kibana answers 404 (no alerts index yet)", async () => {
    const port = await alerts();
    h?.fake.kibana.inject({
      status: 404,
      body: { statusCode: 404, error: "Not Found", message: "index_not_found_exception: no such index" },
    });
    expect(await port.listAlerts({})).toEqual([]);
  });

  it("fails FORBIDDEN when the key cannot read the alerts index", async () => {
    const port = await alerts({}, { privileges: { readAlerts: false } });
    const error = await port.listAlerts({}).catch((e: unknown) => e);
    expect(isToolError(error) && error.code).toBe("FORBIDDEN");
  });
});
