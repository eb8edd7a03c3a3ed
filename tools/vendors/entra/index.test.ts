import { afterEach, describe, expect, it } from "vitest";
import { entraConfigSchema } from "./index.ts";
import { entraHarness, type EntraHarness } from "./testing/harness.ts";

let h: EntraHarness;
afterEach(async () => h?.close());

describe("entra config", () => {
  it("has defaults, is strict, and checks tag names and attribute names", () => {
    const config = entraConfigSchema.parse({ tenantId: "t", clientId: "c" });
    expect(config).toMatchObject({
      graphUrl: "https://graph.microsoft.com/v1.0",
      tags: { groups: {}, attributes: [], directoryRoles: [] },
      usualCountries: { from: "usage_location", lookbackDays: 30, minDays: 3 },
      mfaMethods: false,
      signInScanLimit: 5000,
    });
    for (const bad of [
      { tenantId: "t", clientId: "c", clientSecret: "inline" },
      { tenantId: "t", clientId: "c", tags: { groups: { g: ["Not A Tag"] } } },
      {
        tenantId: "t",
        clientId: "c",
        tags: { attributes: [{ attribute: "department", equals: "x", tags: ["vip"] }] },
      },
      { tenantId: "t", clientId: "c", usualCountries: { from: "guess" } },
    ])
      expect(entraConfigSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });
});

describe("entra probe", () => {
  it("checks the token, users and sign-in logs", async () => {
    h = await entraHarness();
    expect((await h.instance.probe()).map((l) => [l.check, l.ok, l.detail])).toEqual([
      ["entra: token", true, "token issued for https://graph.microsoft.com/.default"],
      ["identity: read users", true, "users readable; write permissions are checked on first use"],
      ["identity: read sign-in logs", true, "sign-in logs readable"],
    ]);
  });

  it("names what is missing: the licence, the permission, or the secret", async () => {
    h = await entraHarness({ premium: false });
    expect((await h.instance.probe())[2]).toMatchObject({
      ok: false,
      detail: expect.stringMatching(
        /Authentication_RequestFromNonPremiumTenantOrB2CTenant.*\(missing AuditLog\.Read\.All, or no Entra ID P1\/P2 licence\)$/,
      ),
    });
    await h.close();
    h = await entraHarness({ permissions: ["AuditLog.Read.All"] });
    expect((await h.instance.probe())[1]).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/Authorization_RequestDenied.*\(missing User\.Read\.All\)$/),
    });
    await h.close();
    h = await entraHarness({ refuseAuth: true });
    expect(await h.instance.probe()).toEqual([
      { check: "entra: token", ok: false, detail: expect.stringMatching(/token refused: AADSTS7000215/) },
    ]);
  });

  it("reports a Graph that is down in one line", async () => {
    h = await entraHarness();
    await h.server.close();
    expect(await h.instance.probe()).toEqual([
      {
        check: "entra: token",
        ok: false,
        detail: expect.stringMatching(/cannot reach http:\/\/127\.0\.0\.1/),
      },
    ]);
  });
});
