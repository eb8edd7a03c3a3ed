import { afterEach, describe, expect, it } from "vitest";
import { isToolError } from "../../../core/errors.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { alertSchema } from "../../../core/domain.ts";
import { connectDefender } from "./testing/connect.ts";
import { MDE_SCOPE, startDefenderFake, type DefenderFake } from "./testing/fake.ts";
import { detectionAlertOf, evidence, fixtureAlerts } from "./testing/seed.ts";

let fake: DefenderFake;
afterEach(async () => fake?.close());

const phish = alertSchema.parse(FIXTURE.alerts[0]);
const travel = alertSchema.parse(FIXTURE.alerts[1]);

describe("defender alerts", () => {
  it("reproduces the fixture alerts: id, time, title, severity, observables, family", async () => {
    fake = await startDefenderFake({ alerts: fixtureAlerts() });
    const { alerts } = connectDefender(fake).instance;
    const first = alertSchema.parse(await alerts!.getAlert(phish.id));
    expect(first).toMatchObject({
      id: phish.id,
      source: "defender",
      family: phish.family,
      type: phish.type,
      title: phish.title,
      severity: phish.severity,
      createdAt: phish.createdAt,
      observables: phish.observables,
    });
    // An identity alert titled "Travel: bob" from Identity Protection: Defender says nothing more specific
    // than its product, so it is a suspicious sign-in, where the fixture says impossible travel.
    const second = alertSchema.parse(await alerts!.getAlert(travel.id));
    expect(second).toMatchObject({
      id: travel.id,
      family: "identity",
      type: "suspicious_sign_in",
      createdAt: travel.createdAt,
      observables: travel.observables,
      raw: { user: "bob@corp.test" },
    });
  });

  it("reads one alert with its evidence, and NOT_FOUND for unknown or impossible ids", async () => {
    fake = await startDefenderFake({ alerts: fixtureAlerts() });
    const { alerts } = connectDefender(fake).instance;
    await alerts!.getAlert(phish.id);
    const read = fake.requests.find((r) => r.path.startsWith("/api/alerts/"));
    expect(read?.path).toBe(`/api/alerts/${phish.id}`);
    expect(read?.query.get("$expand")).toBe("evidence");
    expect(read?.headers["authorization"]).toMatch(/^Bearer /);
    expect(fake.entra.issued.get(MDE_SCOPE)).toBe(1);
    for (const id of ["FX-404", "../machines", "a b"]) {
      const error = await alerts!.getAlert(id).catch((e: unknown) => e);
      expect(isToolError(error) && error.code, id).toBe("NOT_FOUND");
    }
    expect(fake.requests.filter((r) => r.path.startsWith("/api/alerts/")).map((r) => r.path)).toEqual([
      `/api/alerts/${phish.id}`,
      "/api/alerts/FX-404",
    ]);
  });

  it("lists oldest first after since, paging by nextLink to the limit, without evidence", async () => {
    const more = [1, 2, 3].map((n) =>
      detectionAlertOf({ ...FIXTURE.detection, id: `d-${n + 10}`, timestamp: `2026-11-03T11:0${n}:00.000Z` }),
    );
    fake = await startDefenderFake({ alerts: [...fixtureAlerts(), ...more] });
    const listed = await connectDefender(fake).instance.alerts!.listAlerts({
      since: phish.createdAt,
      limit: 3,
    });
    expect(listed.map((a) => a.id)).toEqual(["FX-2", "d-11", "d-12"]);
    const pages = fake.requests.filter((r) => r.path === "/api/alerts");
    expect(pages).toHaveLength(3);
    expect(pages[0]?.query.get("$filter")).toBe("alertCreationTime ge 2026-11-03T10:00:00.001Z");
    expect(pages[0]?.query.get("$orderby")).toBe("alertCreationTime asc");
    expect(pages[0]?.query.get("$top")).toBe("3");
    expect(pages[0]?.query.has("$expand")).toBe(false);
    expect(pages[2]?.query.get("$skip")).toBe("2");
  });

  it("names an endpoint alert's process with the EDR's ids, resolved through hunting", async () => {
    fake = await startDefenderFake();
    const alert = await connectDefender(fake).instance.alerts!.getAlert("d-1");
    expect(alert).toMatchObject({
      family: "endpoint",
      raw: { hostname: "ws-01.corp.test", hostId: "h-1", processId: "p-ps", user: "ann@corp.test" },
    });
    expect(alert.observables).toEqual(
      expect.arrayContaining([
        { type: "process", value: "c:\\windows\\system32\\powershell.exe", role: "actor" },
        { type: "file_hash", value: "a".repeat(64) },
        { type: "host", value: "ws-01.corp.test", role: "target" },
      ]),
    );
    expect(fake.queries.at(-1)).toContain(
      "(ProcessId == 300 and ProcessCreationTime >= datetime(2026-11-03T09:59:00.000Z) and ProcessCreationTime < datetime(2026-11-03T09:59:00.001Z))",
    );
  });

  it("keeps <pid>@<time> as the process id when hunting is not allowed", async () => {
    fake = await startDefenderFake();
    fake.forbid.add("AdvancedQuery.Read.All");
    const alert = await connectDefender(fake).instance.alerts!.getAlert("d-1");
    expect(alert.raw["processId"]).toBe("300@2026-11-03T09:59:00.000Z");
  });

  it("reads mail, user, IP and URL evidence and the alert's own user", async () => {
    const doc = {
      ...fixtureAlerts()[0],
      relatedUser: { userName: "ann", domainName: "CORP" },
      evidence: [
        evidence("MailMessage", { sender: "AP@evil.test", recipient: "ann@corp.test" }),
        evidence("MailBox", { mailboxAddress: "ann@corp.test" }),
        evidence("Ip", { ipAddress: "45.1.2.3" }),
        evidence("Url", { url: "https://evil.test/Pay" }),
        evidence("Registry", { registryKey: "HKLM" }),
        evidence("Process", { processId: "not a number", fileName: "x.exe" }),
      ],
    };
    fake = await startDefenderFake({ alerts: [doc] });
    const alert = await connectDefender(fake).instance.alerts!.getAlert(phish.id);
    expect(alert.observables).toEqual([
      { type: "email", value: "ap@evil.test", role: "sender" },
      { type: "email", value: "ann@corp.test", role: "recipient" },
      { type: "email", value: "ann@corp.test", role: "mailbox" },
      { type: "ip", value: "45.1.2.3" },
      { type: "url", value: "https://evil.test/Pay", role: "url" },
      { type: "process", value: "x.exe", role: "actor" },
      { type: "user", value: "corp\\ann", role: "actor" },
    ]);
    expect(alert.raw).toMatchObject({ mailbox: "ann@corp.test" });
  });

  it("retries throttling with Retry-After", async () => {
    fake = await startDefenderFake({ alerts: fixtureAlerts() });
    const { instance, waits } = connectDefender(fake);
    fake.inject(
      {
        status: 429,
        headers: { "retry-after": "3" },
        body: { error: { code: "TooManyRequests", message: "x" } },
      },
      { when: (r) => r.path === "/api/alerts" },
    );
    expect(await instance.alerts!.listAlerts({})).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(3000);
  });
});
