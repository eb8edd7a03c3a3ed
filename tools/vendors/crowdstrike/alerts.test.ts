import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { isToolError } from "../../../core/errors.ts";
import { jsonOf } from "../../testing/fake-http.ts";
import { alertSchema } from "../../../core/domain.ts";
import type { FalconFake } from "./testing/fake.ts";
import { falconUnderTest } from "./testing/harness.ts";
import type { FalconDoc } from "./testing/seed.ts";

let fake: FalconFake | undefined;
afterEach(async () => fake?.close());

/** An endpoint alert as the Alerts API returns it (trimmed from a real-looking document). */
const lsass: FalconDoc = {
  composite_id: "cid1:ind:aid1:625985642593750673-20151-7049",
  agent_id: "aid1",
  product: "epp",
  type: "ldt",
  status: "new",
  severity: 75,
  severity_name: "High",
  name: "CredentialDumping",
  display_name: "CredentialDumping",
  description: "A process accessed LSASS memory.",
  tactic: "Credential Access",
  technique: "OS Credential Dumping",
  technique_id: "T1003",
  mitre_attack: [
    { tactic: "Credential Access", technique: "OS Credential Dumping", technique_id: "T1003.001" },
  ],
  cmdline: "C:\\Temp\\pd.exe -accepteula -ma lsass.exe",
  filename: "pd.exe",
  filepath: "\\Device\\HarddiskVolume3\\Temp\\PD.EXE",
  sha256: "AB".repeat(32),
  user_name: "ann@corp.test",
  process_id: "625985642593750673",
  triggering_process_graph_id: "pid:aid1:625985642593750673",
  parent_details: {
    filename: "cmd.exe",
    filepath: "C:\\Windows\\System32\\cmd.exe",
    sha256: "cd".repeat(32),
  },
  device: { device_id: "aid1", hostname: "WS-07", local_ip: "10.0.0.7" },
  ioc_values: ["45.9.9.9", "pd.exe", "http://evil.test/x"],
  created_timestamp: "2026-11-03T10:00:00.123456789Z",
  timestamp: "2026-11-03T09:59:58.000Z",
  huge: "x".repeat(5000),
};
const later = (id: string, created: string): FalconDoc => ({
  ...lsass,
  composite_id: id,
  created_timestamp: created,
});

const world = (alerts: FalconDoc[]) => ({ alerts, devices: [], vertices: new Map<string, FalconDoc>() });

describe("Falcon alerts", () => {
  it("maps an endpoint alert: classification, severity label, observables with roles, playbook hints", async () => {
    const t = await falconUnderTest({ world: world([lsass]) });
    fake = t.fake;
    const alert = alertSchema.parse(await t.instance.alerts!.getAlert(String(lsass.composite_id)));
    expect(alert).toMatchObject({
      id: lsass.composite_id,
      source: "crowdstrike",
      family: "endpoint",
      type: "credential_dumping",
      title: "CredentialDumping",
      severity: "high",
      createdAt: "2026-11-03T10:00:00.123Z",
      description: "A process accessed LSASS memory.",
    });
    expect(alert.observables).toEqual([
      { type: "host", value: "ws-07", role: "target" },
      { type: "process", value: "pd.exe", role: "actor" },
      { type: "user", value: "ann@corp.test", role: "actor" },
      { type: "file_hash", value: "ab".repeat(32), role: "actor" },
      { type: "process", value: "cmd.exe", role: "parent" },
      { type: "file_hash", value: "cd".repeat(32), role: "parent" },
      { type: "ip", value: "45.9.9.9" },
      { type: "url", value: "http://evil.test/x" },
    ]);
    expect(alert.raw).toMatchObject({
      hostname: "WS-07",
      hostId: "aid1",
      processId: "625985642593750673",
      image: lsass.filepath,
      commandLine: lsass.cmdline,
      user: "ann@corp.test",
      vendor: { composite_id: lsass.composite_id, product: "epp" },
    });
    const vendor = z.record(z.string(), z.unknown()).parse(alert.raw["vendor"]);
    expect(String(vendor["huge"]).length).toBe(2001);
    const sent = t.fake.requests.find((r) => r.path === "/alerts/entities/alerts/v2");
    expect(jsonOf(sent!)).toEqual({ composite_ids: [lsass.composite_id] });
  });

  it("throws NOT_FOUND when Falcon answers 404 or an empty list", async () => {
    const t = await falconUnderTest({ world: world([lsass]) });
    fake = t.fake;
    const error = await t.instance.alerts!.getAlert("cid1:ind:nope").catch((e: unknown) => e);
    expect(isToolError(error) && [error.code, error.message]).toEqual([
      "NOT_FOUND",
      "crowdstrike: no alert cid1:ind:nope",
    ]);
    t.fake.inject({ status: 200, body: { meta: {}, errors: [], resources: [] } });
    const empty = await t.instance.alerts!.getAlert(String(lsass.composite_id)).catch((e: unknown) => e);
    expect(isToolError(empty) && empty.code).toBe("NOT_FOUND");
  });

  it("queries with an FQL time filter, oldest first, and follows offset paging to the limit only", async () => {
    const docs = [1, 2, 3, 4, 5].map((i) => later(`a-${i}`, `2026-11-03T1${i}:00:00.000000000Z`));
    const t = await falconUnderTest({ world: world(docs.reverse()), pageSize: 2 });
    fake = t.fake;
    const ids = (await t.instance.alerts!.listAlerts({ since: "2026-11-03T12:30:00+01:00", limit: 3 })).map(
      (a) => a.id,
    );
    expect(ids).toEqual(["a-2", "a-3", "a-4"]);
    const queries = t.fake.requests.filter((r) => r.path === "/alerts/queries/alerts/v2");
    expect(queries.map((r) => [r.query.get("offset"), r.query.get("limit")])).toEqual([
      ["0", "3"],
      ["2", "1"],
    ]);
    expect(queries[0]?.query.get("filter")).toBe("created_timestamp:>'2026-11-03T11:30:00.000Z'");
    expect(queries[0]?.query.get("sort")).toBe("created_timestamp|asc");
  });

  it("lists everything without since, and nothing after the last", async () => {
    const t = await falconUnderTest({
      world: world([later("b", "2026-11-03T11:00:00Z"), later("a", "2026-11-03T10:00:00Z")]),
    });
    fake = t.fake;
    expect((await t.instance.alerts!.listAlerts({})).map((a) => a.id)).toEqual(["a", "b"]);
    expect(t.fake.requests.find((r) => r.path === "/alerts/queries/alerts/v2")?.query.has("filter")).toBe(
      false,
    );
    expect(await t.instance.alerts!.listAlerts({ since: "2026-11-03T11:00:00Z" })).toEqual([]);
  });

  it("treats an alert inside the watermark's millisecond as already seen (Falcon keeps nanoseconds)", async () => {
    const t = await falconUnderTest({ world: world([lsass, later("next", "2026-11-03T10:00:00.124Z")]) });
    fake = t.fake;
    const [first] = await t.instance.alerts!.listAlerts({ limit: 1 });
    expect(first?.createdAt).toBe("2026-11-03T10:00:00.123Z");
    expect((await t.instance.alerts!.listAlerts({ since: first?.createdAt ?? "" })).map((a) => a.id)).toEqual(
      ["next"],
    );
  });

  it("ANDs the configured FQL to the listing", async () => {
    const t = await falconUnderTest(
      { world: world([lsass, { ...later("idp-1", "2026-11-03T11:00:00Z"), product: "idp" }]) },
      { alertFilter: "product:'epp',product:'xdr'" },
    );
    fake = t.fake;
    expect((await t.instance.alerts!.listAlerts({ since: "2026-11-03T09:00:00Z" })).map((a) => a.id)).toEqual(
      [lsass.composite_id],
    );
    expect(t.fake.requests[1]?.query.get("filter")).toBe(
      "created_timestamp:>'2026-11-03T09:00:00.000Z'+(product:'epp',product:'xdr')",
    );
  });

  it("names the missing scope when the API client cannot read alerts", async () => {
    const t = await falconUnderTest({ world: world([lsass]), forbid: ["alerts"] });
    fake = t.fake;
    const error = await t.instance.alerts!.listAlerts({}).catch((e: unknown) => e);
    expect(isToolError(error) && [error.code, error.message]).toEqual([
      "FORBIDDEN",
      "crowdstrike: API client lacks Alerts:read (GET /alerts/queries/alerts/v2: HTTP 403 access denied, authorization failed)",
    ]);
  });

  it("classifies identity alerts by product and email-domain alerts by data domain and technique", async () => {
    const idp = {
      composite_id: "idp-1",
      product: "idp",
      display_name: "Unusual login",
      severity: 50,
      created_timestamp: "2026-11-03T10:00:00Z",
      user_name: "bob@corp.test",
    };
    const mail = {
      composite_id: "xdr-1",
      product: "xdr",
      data_domains: ["Email"],
      display_name: "Suspicious message",
      severity_name: "Medium",
      created_timestamp: "2026-11-03T10:00:00Z",
      ioc_values: ["AP@Evil.test", "<abc@evil.test>"],
    };
    const two = { ...mail, composite_id: "xdr-2", ioc_values: ["ap@evil.test", "ann@corp.test"] };
    const t = await falconUnderTest({ world: world([idp, mail, two]) });
    fake = t.fake;
    expect(await t.instance.alerts!.getAlert("idp-1")).toMatchObject({
      family: "identity",
      type: "suspicious_sign_in",
      observables: [{ type: "user", value: "bob@corp.test", role: "actor" }],
    });
    expect(await t.instance.alerts!.getAlert("xdr-1")).toMatchObject({
      family: "email",
      observables: [
        { type: "email", value: "ap@evil.test", role: "sender" },
        { type: "message_id", value: "<abc@evil.test>" },
      ],
    });
    // Two addresses: which one sent it is unknown, so neither is called the sender.
    expect((await t.instance.alerts!.getAlert("xdr-2")).observables).toEqual([
      { type: "email", value: "ap@evil.test" },
      { type: "email", value: "ann@corp.test" },
    ]);
  });
});
