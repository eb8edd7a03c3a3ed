/**
 * Vendors mixed freely behind the ports, as a user configures them: the real CLI in a child process, a
 * config file naming a different vendor for each port, every vendor a fake server on 127.0.0.1 seeded with
 * the contract fixture. Also `triage doctor` against fakes that refuse auth, lack a permission, or are down.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startFakeSplunk, type FakeSplunk } from "../tools/vendors/splunk/testing/fake.ts";
import { startFakeEntra } from "../tools/vendors/entra/testing/fake.ts";
import { FAKE_CLIENT_ID, FAKE_SECRET, FAKE_TENANT } from "../tools/vendors/graph/testing/fake-server.ts";
import { startVirusTotalFake, type VtFake } from "../tools/vendors/virustotal/testing/fake.ts";
import { startUrlhausFake, type UrlhausFake } from "../tools/vendors/urlhaus/testing/fake.ts";
import { startSentinelFake, type SentinelFake } from "../tools/vendors/sentinel/testing/fake.ts";
import { incidentsWithMailEntities } from "../tools/vendors/sentinel/testing/seed.ts";
import { FAKE_SECRET as SENTINEL_SECRET } from "../tools/vendors/microsoft/testing/fake-entra.ts";
import { startFalconFake, type FalconFake } from "../tools/vendors/crowdstrike/testing/fake.ts";
import { FAKE_ENV as FALCON_ENV } from "../tools/vendors/crowdstrike/testing/harness.ts";
import { runCliAsync } from "./testing/run-cli.ts";

type FakeGraph = Awaited<ReturnType<typeof startFakeEntra>>;

const dir = mkdtempSync(join(tmpdir(), "soc-triage-integrations-"));
let splunk: FakeSplunk;
let graph: FakeGraph;
let graphWithoutAuditLog: FakeGraph;
let vt: VtFake;
let urlhaus: UrlhausFake;
let sentinel: SentinelFake;
let falcon: FalconFake;

beforeAll(async () => {
  [splunk, graph, graphWithoutAuditLog, vt, urlhaus, sentinel, falcon] = await Promise.all([
    startFakeSplunk(),
    startFakeEntra(),
    startFakeEntra({ permissions: ["Mail.Read", "User.Read.All", "MailboxSettings.Read"] }),
    startVirusTotalFake(),
    startUrlhausFake(),
    startSentinelFake({ incidents: incidentsWithMailEntities(), pageSize: 100 }),
    startFalconFake({ pageSize: 100 }),
  ]);
});
afterAll(async () => {
  await Promise.all(
    [splunk, graph, graphWithoutAuditLog, vt, urlhaus, sentinel, falcon].map((f) => f?.close()),
  );
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(name: string, overrides: { urlhausUrl?: string; entraUrl?: string } = {}): string {
  const microsoft = (url: string) =>
    `{ tenantId: "${FAKE_TENANT}", clientId: "${FAKE_CLIENT_ID}", loginUrl: "${url}", graphUrl: "${url}/v1.0"`;
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    `integrations:
  alerts: splunk
  siem: splunk
  mail: graph
  identity: entra
  intel: [virustotal, urlhaus]
  vendors:
    splunk: { baseUrl: "${splunk.url}" }
    graph: ${microsoft(graph.url)}, mailboxes: [ann@corp.test, bob@corp.test] }
    entra: ${microsoft(overrides.entraUrl ?? graph.url)} }
    virustotal: { baseUrl: "${vt.url}/api/v3" }
    urlhaus: { baseUrl: "${overrides.urlhausUrl ?? `${urlhaus.url}/v1`}" }
`,
  );
  return path;
}

const env = (config: string, secrets: Record<string, string> = {}) => ({
  TRIAGE_CONFIG: config,
  TRIAGE_DB: join(dir, "cases.db"),
  TRIAGE_LAB_DB: join(dir, "lab.db"),
  TRIAGE_POLICY: "",
  TRIAGE_SOURCE: "",
  SPLUNK_TOKEN: splunk.token,
  AZURE_CLIENT_SECRET: FAKE_SECRET,
  VT_API_KEY: vt.apiKey,
  URLHAUS_AUTH_KEY: urlhaus.authKey,
  ...secrets,
});

const doctorSchema = z.object({
  ok: z.boolean(),
  checks: z.array(z.object({ vendor: z.string(), check: z.string(), ok: z.boolean(), detail: z.string() })),
});

describe("vendors mixed behind the ports", () => {
  it("triages a SIEM's alert with the identity provider, the SIEM and the intel vendors", async () => {
    const run = await runCliAsync(["FX-2", "--json"], env(writeConfig("mixed")));
    expect(run.stderr).not.toMatch(/error/i);
    const report = z
      .object({
        alertId: z.string(),
        verdict: z.object({ disposition: z.string() }),
        steps: z.array(z.object({ tool: z.string(), ok: z.boolean(), summary: z.string() })),
      })
      .parse(JSON.parse(run.stdout));
    expect(report.alertId).toBe("FX-2");
    const byTool = new Map(report.steps.map((s) => [s.tool, s]));
    expect(byTool.get("identity_get_user")).toMatchObject({
      ok: true,
      summary: expect.stringMatching(/^Bob/),
    });
    expect(byTool.get("identity_sign_ins")).toMatchObject({
      ok: true,
      summary: expect.stringMatching(/^2 sign-ins/),
    });
    expect(byTool.get("siem_search")?.ok).toBe(true);
    expect(report.steps.every((s) => s.ok)).toBe(true);
    // Each port's vendor was asked over HTTP: the notable from Splunk, the sign-ins from Entra.
    expect(splunk.requests.some((r) => r.path.startsWith("/services/search/jobs"))).toBe(true);
    expect(graph.requests.some((r) => r.path === "/v1.0/auditLogs/signIns")).toBe(true);
  });

  it("triages a reported email from Sentinel with Graph mail, CrowdStrike as EDR and VirusTotal", async () => {
    const path = join(dir, "example.yaml");
    writeFileSync(
      path,
      `integrations:
  alerts: sentinel
  edr: crowdstrike
  mail: graph
  intel: virustotal
  vendors:
    sentinel: ${JSON.stringify(sentinel.config)}
    crowdstrike: { baseUrl: "${falcon.url}" }
    graph: { tenantId: "${FAKE_TENANT}", clientId: "${FAKE_CLIENT_ID}", loginUrl: "${graph.url}", graphUrl: "${graph.url}/v1.0", mailboxes: [ann@corp.test, bob@corp.test] }
    virustotal: { baseUrl: "${vt.url}/api/v3" }
`,
    );
    const run = await runCliAsync(["FX-1", "--json"], {
      ...env(path),
      SENTINEL_TEST_SECRET: SENTINEL_SECRET,
      ...FALCON_ENV,
    });
    const report = z
      .object({
        alertId: z.string(),
        verdict: z.object({ disposition: z.string(), evidenceIds: z.array(z.string()) }),
        steps: z.array(z.object({ tool: z.string(), ok: z.boolean(), summary: z.string() })),
        actions: z.array(z.object({ type: z.string(), decision: z.string(), status: z.string() })),
      })
      .parse(JSON.parse(run.stdout));
    const tools = report.steps.map((s) => s.tool);
    expect(tools.slice(0, 1)).toEqual(["mail_find_messages"]);
    expect(tools).toContain("mail_get_message");
    expect(report.steps.find((s) => s.tool === "mail_find_messages")?.summary).toMatch(/^2 /);
    expect(
      report.steps
        .filter((s) => s.tool === "intel_lookup")
        .some((s) => /evil\.test: malicious/.test(s.summary)),
    ).toBe(true);
    expect(report.steps.every((s) => s.ok)).toBe(true);
    expect(report.verdict.disposition).not.toBe("benign");
    expect(sentinel.requests.some((r) => r.path.endsWith("/incidents/FX-1"))).toBe(true);
    expect(vt.requests.length).toBeGreaterThan(0);
    // Nothing ran: a dry run records what the policy would allow.
    expect(report.actions.every((a) => a.status !== "executed")).toBe(true);
  });

  it("checks every integration with one line each, and names the ones refused, forbidden or down", async () => {
    const healthy = await runCliAsync(["doctor", "--json"], env(writeConfig("healthy")));
    const ok = doctorSchema.parse(JSON.parse(healthy.stdout));
    expect(healthy.code).toBe(0);
    expect(ok.ok).toBe(true);
    expect(new Set(ok.checks.map((c) => c.vendor))).toEqual(
      new Set(["lab", "splunk", "graph", "entra", "virustotal", "urlhaus", "audit"]),
    );

    const broken = await runCliAsync(
      ["doctor", "--json"],
      env(
        writeConfig("broken", { urlhausUrl: "http://127.0.0.1:1/v1", entraUrl: graphWithoutAuditLog.url }),
        {
          VT_API_KEY: "wrong",
        },
      ),
    );
    expect(broken.code).toBe(1);
    const failed = doctorSchema.parse(JSON.parse(broken.stdout)).checks.filter((c) => !c.ok);
    const line = (vendor: string) => failed.find((c) => c.vendor === vendor)?.detail ?? "";
    expect(line("virustotal")).toMatch(/HTTP 401/);
    expect(line("urlhaus")).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1/);
    expect(line("entra")).toMatch(/AuditLog\.Read\.All/);
    expect(failed.map((c) => c.vendor).sort()).toEqual(["entra", "urlhaus", "virustotal"]);
    expect(broken.stdout).not.toContain(vt.apiKey);
  });

  it("prints a human doctor report and refuses a configuration mistake with one line", async () => {
    const text = await runCliAsync(["doctor"], env(writeConfig("text"), { AZURE_CLIENT_SECRET: "wrong" }));
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^FAIL {2}graph {4}.*token refused/m);
    expect(text.stdout).toMatch(/^\d+ checks, \d+ failed$/m);
    const unconfigured = join(dir, "unconfigured.yaml");
    writeFileSync(unconfigured, "integrations:\n  siem: elastic\n");
    const mistake = await runCliAsync(["doctor"], env(unconfigured));
    expect(mistake.code).toBe(2);
    expect(mistake.stderr.trim().split("\n")).toEqual([
      "triage: integrations: elastic is chosen but not configured: add integrations.vendors.elastic",
    ]);
  });

  it("shows the configuration with each secret named set or missing, never its value", async () => {
    const run = await runCliAsync(["config", "--json"], env(writeConfig("shown"), { VT_API_KEY: "" }));
    const shown = z.object({ secrets: z.record(z.string(), z.string()) }).parse(JSON.parse(run.stdout));
    expect(shown.secrets).toMatchObject({
      SPLUNK_TOKEN: "set",
      AZURE_CLIENT_SECRET: "set",
      VT_API_KEY: "missing",
    });
    expect(run.stdout).not.toContain(splunk.token);
    expect(run.stdout).not.toContain(FAKE_SECRET);
  });
});
