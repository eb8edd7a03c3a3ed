import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { elasticErrorText } from "./client.ts";
import { DEFAULT_DATASETS, elasticConfigSchema } from "./config.ts";
import { elasticVendor } from "./index.ts";
import { FAKE_API_KEY } from "./testing/fake.ts";
import { harness, type Harness } from "./testing/setup.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.fake.close();
  h = undefined;
});

const probe = async (...args: Parameters<typeof harness>) => {
  h = await harness(...args);
  return h.instance.probe();
};

describe("elastic configuration", () => {
  it("fills defaults, merges dataset overrides and names the module", () => {
    const config = elasticConfigSchema.parse({
      elasticsearchUrl: "https://es.example:9200",
      datasets: { signin: { index: "logs-okta*,logs-azure.signinlogs-*" } },
    });
    expect(config).toMatchObject({
      space: "default",
      apiKeyEnv: "ELASTIC_API_KEY",
      language: "dsl",
      pageSize: 1000,
    });
    expect(config.datasets.signin).toEqual({ index: "logs-okta*,logs-azure.signinlogs-*", filter: {} });
    expect(config.datasets.proxy).toEqual(DEFAULT_DATASETS.proxy);
    expect([elasticVendor.name, elasticVendor.provides]).toEqual(["elastic", ["alerts", "siem"]]);
  });

  it("accepts the example block documented in config.ts", () => {
    const source = readFileSync(new URL("./config.ts", import.meta.url), "utf8");
    const block = /```yaml\n([\s\S]*?)```/.exec(source)?.[1] ?? "";
    const file = z
      .object({ integrations: z.object({ vendors: z.object({ elastic: z.unknown() }) }) })
      .parse(parse(block.replace(/^ \* ?/gm, "")));
    const parsed = elasticConfigSchema.parse(file.integrations.vendors.elastic);
    expect(parsed).toMatchObject({ space: "soc", language: "esql" });
    expect(parsed.datasets.proxy.filter).toEqual({ "event.category": "web", "event.module": "zscaler_zia" });
  });

  it("refuses unknown keys, secrets in place of env names, unsafe index patterns and no URL", () => {
    const base = { elasticsearchUrl: "https://es.example:9200" };
    for (const bad of [
      { ...base, apiKey: "secret" },
      { ...base, apiKeyEnv: "my key" },
      { ...base, datasets: { dns: { index: "logs-* | DROP x" } } },
      { ...base, datasets: { dns: { index: "a/b" } } },
      { ...base, datasets: { web: { index: "logs-*" } } },
      { ...base, space: "../x" },
      {},
    ])
      expect(elasticConfigSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });

  it("serves only the ports whose URL is configured", () => {
    const context = { env: {}, now: () => new Date() };
    const siemOnly = elasticVendor.create(
      elasticConfigSchema.parse({ elasticsearchUrl: "http://127.0.0.1:1" }),
      context,
    );
    expect([siemOnly.siem !== undefined, siemOnly.alerts !== undefined]).toEqual([true, false]);
    const alertsOnly = elasticVendor.create(
      elasticConfigSchema.parse({ kibanaUrl: "http://127.0.0.1:1" }),
      context,
    );
    expect([alertsOnly.siem !== undefined, alertsOnly.alerts !== undefined]).toEqual([false, true]);
  });
});

describe("elastic error bodies", () => {
  it("reads Elasticsearch's root cause, a bare string, and Kibana's message", () => {
    const es = {
      error: {
        root_cause: [{ type: "index_not_found_exception", reason: "no such index [x]" }],
        type: "t",
        reason: "r",
      },
      status: 404,
    };
    expect(elasticErrorText(JSON.stringify(es))).toBe("index_not_found_exception: no such index [x]");
    expect(elasticErrorText(JSON.stringify({ error: "no handler found", status: 400 }))).toBe(
      "no handler found",
    );
    expect(
      elasticErrorText(JSON.stringify({ statusCode: 400, error: "Bad Request", message: "bad body" })),
    ).toBe("bad body");
    expect(elasticErrorText("<html>")).toBeUndefined();
  });
});

describe("elastic probes", () => {
  it("reads the cluster, signin events and detection alerts", async () => {
    expect(await probe()).toEqual([
      {
        check: "elasticsearch: reachable and authenticated",
        ok: true,
        detail: "cluster fake-cluster, version 8.15.0",
      },
      { check: "siem: read signin events (logs-*)", ok: true, detail: "3 signin events readable (dsl)" },
      {
        check: "alerts: read detection alerts (space default)",
        ok: true,
        detail: "3 alerts readable as triage",
      },
    ]);
    expect(
      h?.fake.elasticsearch.requests.every((r) => r.method === "GET" || r.path.endsWith("/_search")),
    ).toBe(true);
  });

  it("accepts a key without the monitor privilege: a 403 on GET / still proves it", async () => {
    const [info] = await probe({}, { privileges: { monitor: false } });
    expect(info).toMatchObject({ ok: true, detail: expect.stringContaining("no monitor privilege") });
  });

  it("says authentication was refused on every line", async () => {
    const lines = await probe({}, { refuseAuth: true });
    expect(lines.map((l) => l.ok)).toEqual([false, false, false]);
    expect(lines[0]?.detail).toContain("HTTP 401 security_exception: unable to authenticate");
    expect(lines[2]?.detail).toContain("HTTP 401 [security_exception");
  });

  it("names the missing read privileges", async () => {
    const lines = await probe({}, { privileges: { readEvents: false, readAlerts: false } });
    expect(lines.map((l) => l.ok)).toEqual([true, false, false]);
    expect(lines[1]?.detail).toContain("the API key lacks the read privilege on logs-*");
    expect(lines[2]?.detail).toBe(
      "elastic: the API key lacks the read privilege on .alerts-security.alerts-default",
    );
  });

  it("says which variable is missing, and that a downed service is unreachable", async () => {
    const missing = await probe({}, {}, {});
    expect(missing.every((l) => !l.ok && l.detail.includes("set ELASTIC_API_KEY"))).toBe(true);
    await h?.fake.close();
    h = await harness({}, {}, { ELASTIC_API_KEY: FAKE_API_KEY }, { retry: { retries: 0 } });
    await h.fake.close();
    const down = await h.instance.probe();
    expect(down.map((l) => [l.ok, /cannot reach/.test(l.detail)])).toEqual([
      [false, true],
      [false, true],
      [false, true],
    ]);
  });

  it("reports an unknown Kibana space", async () => {
    const lines = await probe({ space: "nope" });
    expect(lines[2]).toMatchObject({
      ok: false,
      detail: expect.stringContaining("HTTP 404 Saved object [space/nope] not found"),
    });
  });
});
