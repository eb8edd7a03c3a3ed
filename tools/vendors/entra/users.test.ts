import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { isToolError } from "../../../core/errors.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { jsonOf } from "../../testing/fake-http.ts";
import type { SignIn } from "../../../core/domain.ts";
import { fixtureState, signInDoc, userDoc } from "../graph/testing/fake-state.ts";
import { entraHarness, type EntraHarness } from "./testing/harness.ts";

let h: EntraHarness;
afterEach(async () => h?.close());

const bobOf = (state: ReturnType<typeof fixtureState>) => state.users.find((u) => u.doc.id === "u-1")!;

describe("entra users", () => {
  it("reads one user by UPN with the fields it maps, and null for an unknown one", async () => {
    h = await entraHarness({ config: { tags: {} } });
    expect(await h.identity.getUser("bob@corp.test")).toEqual({ ...FIXTURE.user, tags: [] });
    expect(h.server.requests.map((r) => [r.path, r.query.get("$select")]).slice(1)).toEqual([
      [
        "/v1.0/users/bob%40corp.test",
        "id,userPrincipalName,displayName,department,jobTitle,accountEnabled,usageLocation,onPremisesExtensionAttributes",
      ],
    ]);
    expect(await h.identity.getUser("ghost@corp.test")).toBeNull();
  });

  it("addresses UPNs starting with $ in Graph's key form, and refuses path tricks", async () => {
    const state = fixtureState();
    state.users.push(userDoc("$svc@corp.test"));
    h = await entraHarness({ state, config: { tags: {} } });
    expect((await h.identity.getUser("$svc@corp.test"))?.userPrincipalName).toBe("$svc@corp.test");
    expect(h.server.requests.at(-1)?.path).toBe("/v1.0/users('%24svc%40corp.test')");
    const error = await h.identity.getUser("..").catch((e: unknown) => e);
    expect(isToolError(error) && error.code).toBe("BAD_INPUT");
  });

  it("tags from the configured mapping only: attributes, groups (20 per check) and active roles", async () => {
    const state = fixtureState();
    const bob = bobOf(state);
    bob.doc.onPremisesExtensionAttributes = { extensionAttribute3: "Executive" };
    bob.directoryRoles = [{ id: "role-1", displayName: "Exchange Administrator" }];
    const groups = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`group-${i}`, ["finance"]]));
    h = await entraHarness({
      state,
      config: {
        tags: {
          groups: { ...groups, "group-vip": ["vip", "executive"] },
          attributes: [{ attribute: "extensionAttribute3", equals: "EXECUTIVE", tags: ["executive"] }],
          directoryRoles: ["admin"],
        },
      },
    });
    expect((await h.identity.getUser("bob@corp.test"))?.tags).toEqual(["executive", "vip", "admin"]);
    const checks = h.server.requests.filter((r) => r.path.endsWith("/checkMemberGroups"));
    expect(checks.map((r) => r.path)).toEqual([
      "/v1.0/users/u-1/checkMemberGroups",
      "/v1.0/users/u-1/checkMemberGroups",
    ]);
    expect(
      checks.map((r) => z.object({ groupIds: z.array(z.string()) }).parse(jsonOf(r)).groupIds.length),
    ).toEqual([20, 1]);
    expect(
      h.server.requests.some(
        (r) => r.path === "/v1.0/users/u-1/transitiveMemberOf/microsoft.graph.directoryRole",
      ),
    ).toBe(true);
  });

  it("takes usual countries from the usage location, from the sign-in log, or not at all", async () => {
    const state = fixtureState();
    const day = (d: number, s: Partial<SignIn>) =>
      signInDoc({
        id: `d${d}-${s.country}-${s.result ?? "success"}`,
        user: "bob@corp.test",
        timestamp: new Date(Date.parse("2026-11-03T08:00:00Z") - d * 86_400_000).toISOString(),
        ip: "192.0.2.1",
        country: "US",
        city: null,
        app: "Office 365",
        result: "success",
        userAgent: null,
        deviceCompliant: true,
        riskLevel: "none",
        ...s,
      });
    state.signIns = [
      ...[1, 2, 3].map((d) => day(d, { country: "US" })),
      ...[1, 2, 3].map((d) => day(d, { country: "RO", riskLevel: "high" })),
      ...[1, 2, 3].map((d) => day(d, { country: "FR", result: "failure" })),
      ...[1, 2].map((d) => day(d, { country: "DE" })),
      day(40, { country: "BR" }),
    ];
    h = await entraHarness({ state, config: { tags: {}, usualCountries: { from: "sign_ins" } } });
    expect((await h.identity.getUser("bob@corp.test"))?.usualCountries).toEqual(["US"]);
    expect(h.server.requests.find((r) => r.path === "/v1.0/auditLogs/signIns")?.query.get("$filter")).toBe(
      "userPrincipalName eq 'bob@corp.test' and createdDateTime ge 2026-10-04T12:00:00.000Z and createdDateTime le 2026-11-03T12:00:00.000Z",
    );
    await h.close();
    h = await entraHarness({ config: { tags: {}, usualCountries: { from: "none" } } });
    expect((await h.identity.getUser("bob@corp.test"))?.usualCountries).toEqual([]);
  });

  it("lists registered second factors when asked to, never the password", async () => {
    const state = fixtureState();
    bobOf(state).methods.push(
      { "@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", id: "m1" },
      { "@odata.type": "#microsoft.graph.fido2AuthenticationMethod", id: "m2" },
    );
    h = await entraHarness({ state, config: { tags: {}, mfaMethods: true } });
    expect((await h.identity.getUser("bob@corp.test"))?.mfaMethods).toEqual([
      "microsoftAuthenticator",
      "fido2",
    ]);
  });
});
