import { afterEach, describe, expect, it } from "vitest";
import { describeAlertSourceContract } from "../../contracts/alert-source.contract.ts";
import { isToolError } from "../../../core/errors.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { alertSchema, type Alert } from "../../../core/domain.ts";
import { connectSentinel } from "./testing/connect.ts";
import { ARM_SCOPE, startSentinelFake, WORKSPACE, type SentinelFake } from "./testing/fake.ts";
import { incidentOf } from "./testing/seed.ts";

describeAlertSourceContract("sentinel", async () => {
  const fake = await startSentinelFake();
  return { port: connectSentinel(fake).instance.alerts!, fixture: FIXTURE, teardown: () => fake.close() };
});

let fake: SentinelFake;
// A fixture alert as a plain (mutable) Alert, to build more incidents from.
const fixtureAlert = (i: number): Alert => alertSchema.parse(FIXTURE.alerts[i]);
afterEach(async () => fake?.close());

const base = `/subscriptions/${WORKSPACE.subscriptionId}/resourceGroups/${WORKSPACE.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${WORKSPACE.workspaceName}/providers/Microsoft.SecurityInsights`;

describe("sentinel alerts", () => {
  it("reproduces every fixture alert: id, family, type, observables, time, title, severity", async () => {
    fake = await startSentinelFake();
    const { alerts } = connectSentinel(fake).instance;
    for (const expected of FIXTURE.alerts) {
      const alert = alertSchema.parse(await alerts!.getAlert(expected.id));
      expect(alert).toMatchObject({
        id: expected.id,
        source: "sentinel",
        family: expected.family,
        type: expected.type,
        title: expected.title,
        severity: expected.severity,
        createdAt: expected.createdAt,
        observables: expected.observables,
      });
    }
  });

  it("reads the incident, then its alerts and entities with POST, all with the ARM token", async () => {
    fake = await startSentinelFake();
    const alert = await connectSentinel(fake).instance.alerts!.getAlert("FX-2");
    const calls = fake.requests.filter((r) => r.path.startsWith("/subscriptions/"));
    expect(calls.map((r) => `${r.method} ${r.path.slice(base.length)}`).sort()).toEqual([
      "GET /incidents/FX-2",
      "POST /incidents/FX-2/alerts",
      "POST /incidents/FX-2/entities",
    ]);
    for (const call of calls) expect(call.query.get("api-version")).toBe("2025-09-01");
    expect(fake.entra.issued.get(ARM_SCOPE)).toBe(1);
    expect(alert.raw).toMatchObject({
      user: "bob@corp.test",
      vendor: { name: "FX-2", alertProductNames: ["Azure Active Directory Identity Protection"] },
    });
  });

  it("lists with a filter, an ascending order and a page size, following nextLink to the limit", async () => {
    const second = fixtureAlert(1);
    const extra = [3, 4, 5].map((n) =>
      incidentOf(
        {
          ...second,
          id: `FX-${n}`,
          createdAt: new Date(Date.parse(second.createdAt) + n * 60_000).toISOString(),
        },
        100 + n,
      ),
    );
    fake = await startSentinelFake({
      incidents: [...[0, 1].map((i) => incidentOf(fixtureAlert(i), i)), ...extra],
      pageSize: 2,
    });
    const { alerts } = connectSentinel(fake, { incidentPageSize: 50 }).instance;
    const listed = await alerts!.listAlerts({ since: fixtureAlert(0).createdAt, limit: 3 });
    expect(listed.map((a) => a.id)).toEqual(["FX-2", "FX-3", "FX-4"]);
    const pages = fake.requests.filter((r) => r.path === `${base}/incidents`);
    expect(pages).toHaveLength(2);
    expect(pages[0]?.query.get("$filter")).toBe("properties/createdTimeUtc ge 2026-11-03T10:00:00.001Z");
    expect(pages[0]?.query.get("$orderby")).toBe("properties/createdTimeUtc asc");
    expect(pages[0]?.query.get("$top")).toBe("3");
    expect(pages[1]?.query.get("$skipToken")).toBe("2");
  });

  it("answers NOT_FOUND for an unknown or impossible incident name without walking the path", async () => {
    fake = await startSentinelFake();
    const { alerts } = connectSentinel(fake).instance;
    for (const id of ["FX-404", "..", "a/b", "x?y"]) {
      const error = await alerts!.getAlert(id).catch((e: unknown) => e);
      expect(isToolError(error) && error.code, id).toBe("NOT_FOUND");
    }
    expect(fake.requests.filter((r) => r.path.startsWith("/subscriptions/")).map((r) => r.path)).toEqual([
      `${base}/incidents/FX-404`,
    ]);
  });

  it("reads every entity kind it knows into observables and hints", async () => {
    const incident = incidentOf(fixtureAlert(0), 1);
    incident.entities = [
      {
        kind: "MailMessage",
        properties: { sender: "AP@Evil.test", recipient: "ann@corp.test", internetMessageId: "<m@x>" },
      },
      { kind: "Mailbox", properties: { mailboxPrimaryAddress: "ann@corp.test" } },
      { kind: "Account", properties: { accountName: "ann", ntDomain: "CORP" } },
      { kind: "Ip", properties: { address: "45.1.2.3" } },
      { kind: "Host", properties: { hostName: "WS-01", additionalData: { MdatpDeviceId: "h-1" } } },
      { kind: "Url", properties: { url: "https://evil.test/Login" } },
      { kind: "DnsResolution", properties: { domainName: "Evil.test" } },
      { kind: "FileHash", properties: { algorithm: "SHA256", hashValue: "A".repeat(64) } },
      { kind: "File", properties: { fileName: "Invoice.docm" } },
      { kind: "CloudApplication", properties: { appId: 1 } },
      { kind: "Ip", properties: { address: 42 } },
    ];
    fake = await startSentinelFake({ incidents: [incident] });
    const alert: Alert = await connectSentinel(fake).instance.alerts!.getAlert("FX-1");
    expect(alert.observables).toEqual([
      { type: "email", value: "ap@evil.test", role: "sender" },
      { type: "email", value: "ann@corp.test", role: "recipient" },
      { type: "message_id", value: "<m@x>" },
      { type: "email", value: "ann@corp.test", role: "mailbox" },
      { type: "user", value: "corp\\ann", role: "actor" },
      { type: "ip", value: "45.1.2.3", role: "source" },
      { type: "host", value: "ws-01", role: "target" },
      { type: "url", value: "https://evil.test/Login", role: "url" },
      { type: "domain", value: "evil.test" },
      { type: "file_hash", value: "a".repeat(64) },
      { type: "file_name", value: "Invoice.docm" },
    ]);
    expect(alert.raw).toMatchObject({ mailbox: "ann@corp.test", internetMessageId: "<m@x>" });
  });

  it("fetches a token once, and again after the service stops accepting it", async () => {
    fake = await startSentinelFake();
    const { alerts } = connectSentinel(fake).instance;
    await alerts!.listAlerts({});
    await alerts!.getAlert("FX-1");
    expect(fake.entra.issued.get(ARM_SCOPE)).toBe(1);
    fake.entra.revokeAll();
    await alerts!.getAlert("FX-1");
    expect(fake.entra.issued.get(ARM_SCOPE)).toBe(2);
  });

  it("retries ARM throttling and reports a bad secret as AUTH_FAILED", async () => {
    fake = await startSentinelFake();
    const { instance, waits } = connectSentinel(fake);
    fake.inject(
      {
        status: 429,
        headers: { "retry-after": "1" },
        body: { error: { code: "TooManyRequests", message: "x" } },
      },
      { when: (r) => r.path.startsWith("/subscriptions/") },
    );
    expect(await instance.alerts!.listAlerts({})).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(1000);
    fake.entra.refuse = true;
    fake.entra.revokeAll();
    const error = await instance.alerts!.listAlerts({}).catch((e: unknown) => e);
    expect(isToolError(error) && error.code).toBe("AUTH_FAILED");
    expect(isToolError(error) && error.message).toMatch(/token refused: AADSTS7000215/);
  });
});
