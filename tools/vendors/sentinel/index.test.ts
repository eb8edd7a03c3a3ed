import { afterEach, describe, expect, it } from "vitest";
import { isToolError } from "../../../core/errors.ts";
import { sentinelConfigSchema, sentinelVendor } from "./index.ts";
import { connectSentinel } from "./testing/connect.ts";
import {
  ARM_SCOPE,
  LOG_ANALYTICS_SCOPE,
  startSentinelFake,
  WORKSPACE,
  WORKSPACE_ID,
  type SentinelFake,
} from "./testing/fake.ts";

let fake: SentinelFake;
afterEach(async () => fake?.close());

const credentials = { tenantId: "t", clientId: "c" };

describe("sentinel configuration", () => {
  it("fills the public-cloud defaults and names the secret's variable, never the secret", () => {
    const config = sentinelConfigSchema.parse({ ...credentials, ...WORKSPACE, workspaceId: WORKSPACE_ID });
    expect(config).toMatchObject({
      armUrl: "https://management.azure.com",
      logAnalyticsUrl: "https://api.loganalytics.io",
      apiVersion: "2025-09-01",
      clientSecretEnv: "AZURE_CLIENT_SECRET",
      loginUrl: "https://login.microsoftonline.com",
      datasets: {},
    });
    expect(
      sentinelConfigSchema.safeParse({ ...credentials, workspaceId: "w", clientSecret: "s" }).success,
    ).toBe(false);
  });

  it("takes either half alone, but not a partial workspace or nothing", () => {
    expect(sentinelConfigSchema.safeParse({ ...credentials, workspaceId: "w" }).success).toBe(true);
    expect(sentinelConfigSchema.safeParse({ ...credentials, ...WORKSPACE }).success).toBe(true);
    expect(sentinelConfigSchema.safeParse({ ...credentials, subscriptionId: "s" }).success).toBe(false);
    expect(sentinelConfigSchema.safeParse(credentials).success).toBe(false);
  });

  it("refuses a field mapping that could become a second statement", () => {
    const datasets = (expression: string) =>
      sentinelConfigSchema.safeParse({
        ...credentials,
        workspaceId: "w",
        datasets: { proxy: { fields: { "url.domain": expression } } },
      }).success;
    expect(datasets("tostring(Host_s)")).toBe(true);
    expect(datasets("Host_s | take 1")).toBe(false);
    expect(datasets("Host_s\n| take 1")).toBe(false);
  });

  it("serves only the configured half, saying what is missing", async () => {
    const instance = sentinelVendor.create(sentinelConfigSchema.parse({ ...credentials, workspaceId: "w" }), {
      env: {},
      now: () => new Date(),
    });
    const error = await instance.alerts?.listAlerts({}).catch((e: unknown) => e);
    expect(isToolError(error) && error.code).toBe("BAD_INPUT");
    expect(isToolError(error) && error.message).toMatch(/subscriptionId, resourceGroup, workspaceName/);
  });

  it("reports a missing secret by its variable name", async () => {
    fake = await startSentinelFake();
    const config = sentinelConfigSchema.parse(fake.config);
    const instance = sentinelVendor.create(config, { env: {}, now: () => new Date() });
    const error = await instance.alerts?.listAlerts({}).catch((e: unknown) => e);
    expect(isToolError(error) && error.code).toBe("AUTH_FAILED");
    expect(isToolError(error) && error.message).toMatch(/set SENTINEL_TEST_SECRET/);
  });
});

describe("sentinel probe", () => {
  it("checks a token per scope, one incident and a trivial query", async () => {
    fake = await startSentinelFake();
    const lines = await connectSentinel(fake).instance.probe();
    expect(lines).toEqual([
      { check: `auth: token for ${ARM_SCOPE}`, ok: true, detail: "token issued" },
      { check: "alerts: list incidents", ok: true, detail: "incidents readable" },
      { check: `auth: token for ${LOG_ANALYTICS_SCOPE}`, ok: true, detail: "token issued" },
      { check: "siem: run a query", ok: true, detail: "queries run" },
    ]);
    expect(fake.queries.map((q) => q.query)).toEqual(["print ok = 1"]);
    const list = fake.requests.find((r) => r.path.endsWith("/incidents"));
    expect(list?.query.get("$top")).toBe("1");
  });

  it("says the token was refused, and checks nothing else", async () => {
    fake = await startSentinelFake();
    fake.entra.refuse = true;
    const lines = await connectSentinel(fake).instance.probe();
    expect(lines.map((l) => l.ok)).toEqual([false, false, false, false]);
    expect(lines[0]?.detail).toMatch(/token refused: AADSTS7000215/);
    expect(lines[1]?.detail).toMatch(/not checked: no token/);
    expect(fake.requests.filter((r) => !r.path.endsWith("/token"))).toHaveLength(0);
  });

  it("names the missing role when a read is forbidden", async () => {
    fake = await startSentinelFake();
    fake.forbid.incidents = true;
    fake.forbid.query = true;
    const lines = await connectSentinel(fake).instance.probe();
    expect(lines[1]).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^missing permission Microsoft Sentinel Reader.*AuthorizationFailed/),
    });
    expect(lines[3]).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^missing permission Log Analytics Reader.*InsufficientAccessError/),
    });
  });

  it("says the service cannot be reached when it is down", async () => {
    fake = await startSentinelFake();
    const { instance } = connectSentinel(fake);
    await fake.close();
    const lines = await instance.probe();
    expect(lines.every((l) => !l.ok)).toBe(true);
    expect(lines[0]?.detail).toMatch(/cannot reach http:\/\/127\.0\.0\.1/);
  });
});
