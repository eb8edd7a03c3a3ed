import { afterEach, describe, expect, it } from "vitest";
import { defenderConfigSchema } from "./index.ts";
import { connectDefender } from "./testing/connect.ts";
import { MDE_SCOPE, startDefenderFake, type DefenderFake } from "./testing/fake.ts";

let fake: DefenderFake;
afterEach(async () => fake?.close());

describe("defender configuration", () => {
  it("defaults to the current host with the MDE token scope, and names only the secret's variable", () => {
    expect(defenderConfigSchema.parse({ tenantId: "t", clientId: "c" })).toEqual({
      tenantId: "t",
      clientId: "c",
      clientSecretEnv: "AZURE_CLIENT_SECRET",
      loginUrl: "https://login.microsoftonline.com",
      baseUrl: "https://api.security.microsoft.com",
      scope: "https://api.securitycenter.microsoft.com/.default",
      isolationType: "Full",
      actionTimeoutSeconds: 600,
      processTreeWindowHours: 24,
    });
    expect(defenderConfigSchema.safeParse({ tenantId: "t", clientId: "c", clientSecret: "x" }).success).toBe(
      false,
    );
    expect(
      defenderConfigSchema.safeParse({ tenantId: "t", clientId: "c", isolationType: "full" }).success,
    ).toBe(false);
  });
});

describe("defender probe", () => {
  it("checks the token, alerts, machines and hunting, one cheap read each", async () => {
    fake = await startDefenderFake();
    const lines = await connectDefender(fake).instance.probe();
    expect(lines).toEqual([
      { check: `auth: token for ${MDE_SCOPE}`, ok: true, detail: "token issued" },
      { check: "alerts: list alerts", ok: true, detail: "alerts readable" },
      { check: "edr: list machines", ok: true, detail: "machines readable" },
      { check: "edr: advanced hunting", ok: true, detail: "hunting queries run" },
    ]);
    const reads = fake.requests.filter((r) => !r.path.endsWith("/token"));
    expect(reads.map((r) => `${r.method} ${r.path} ${r.query.get("$top") ?? ""}`)).toEqual([
      "GET /api/alerts 1",
      "GET /api/machines 1",
      "POST /api/advancedqueries/run ",
    ]);
  });

  it("says an empty tenant is readable (machines answer 404 when there are none)", async () => {
    fake = await startDefenderFake({ alerts: [], machines: [] });
    const lines = await connectDefender(fake).instance.probe();
    expect(lines.map((l) => l.detail)).toEqual([
      "token issued",
      "no alerts yet; listing is allowed",
      "no machines onboarded; listing is allowed",
      "hunting queries run",
    ]);
  });

  it("names each missing permission", async () => {
    fake = await startDefenderFake();
    for (const permission of ["Alert.Read.All", "Machine.Read.All", "AdvancedQuery.Read.All"])
      fake.forbid.add(permission);
    const lines = await connectDefender(fake).instance.probe();
    expect(lines.slice(1).map((l) => [l.ok, l.detail.split(":")[0]])).toEqual([
      [false, "missing permission Alert.Read.All"],
      [false, "missing permission Machine.Read.All"],
      [false, "missing permission AdvancedQuery.Read.All"],
    ]);
    expect(lines[2]?.detail).toMatch(/HTTP 403 Forbidden: The application does not have/);
  });

  it("says the secret was refused, and checks nothing else", async () => {
    fake = await startDefenderFake();
    fake.entra.refuse = true;
    const lines = await connectDefender(fake).instance.probe();
    expect(lines[0]).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/token refused: AADSTS7000215/),
    });
    expect(lines.slice(1).every((l) => !l.ok && /not checked/.test(l.detail))).toBe(true);
  });

  it("says the service cannot be reached when it is down", async () => {
    fake = await startDefenderFake();
    const { instance } = connectDefender(fake);
    await fake.close();
    const lines = await instance.probe();
    expect(lines[0]).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/cannot reach http:\/\/127\.0\.0\.1/),
    });
  });
});
