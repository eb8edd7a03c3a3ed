/**
 * Issue #12 item 3: a vendor (or a proxy in front of it) that echoes our request in its error bodies must
 * not put a credential anywhere. Every vendor adapter runs against its own fake with an echo injected on
 * every API call (token endpoints too, in a first pass); then `triage doctor`'s lines, the raw ToolError
 * messages of the probes, and the bytes of the case database after a triage (cases, evidence, steps and
 * LangGraph checkpoints) are searched for every secret the fake saw.
 */
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { loadConfig } from "../agent/config.ts";
import { runTriage } from "../agent/run-triage.ts";
import { composeTools, openRuntime } from "../agent/setup.ts";
import { readGroundTruth } from "../tools/lab/ground-truth.ts";
import { openLab } from "../tools/lab/index.ts";
import { echoRequest, formOf, type FakeServer } from "../tools/testing/fake-http.ts";
import { startAbuseIpdbFake } from "../tools/vendors/abuseipdb/testing/fake.ts";
import { FAKE_ENV as FALCON_ENV } from "../tools/vendors/crowdstrike/testing/harness.ts";
import { startFalconFake } from "../tools/vendors/crowdstrike/testing/fake.ts";
import { startDefenderFake } from "../tools/vendors/defender/testing/fake.ts";
import { FAKE_API_KEY as ELASTIC_KEY, startElasticFake } from "../tools/vendors/elastic/testing/fake.ts";
import { startFakeEntra } from "../tools/vendors/entra/testing/fake.ts";
import { keyJson, SERVICE_ACCOUNT } from "../tools/vendors/gmail/testing/harness.ts";
import { startGmailFake } from "../tools/vendors/gmail/testing/fake.ts";
import { FAKE_CLIENT_ID, FAKE_SECRET, FAKE_TENANT } from "../tools/vendors/graph/testing/fake-server.ts";
import { FAKE_SECRET as AZURE_SECRET } from "../tools/vendors/microsoft/testing/fake-entra.ts";
import { startSentinelFake } from "../tools/vendors/sentinel/testing/fake.ts";
import { startFakeSplunk } from "../tools/vendors/splunk/testing/fake.ts";
import { startUrlhausFake } from "../tools/vendors/urlhaus/testing/fake.ts";
import { startVirusTotalFake } from "../tools/vendors/virustotal/testing/fake.ts";
import type { PortName } from "../tools/vendors/types.ts";
import { runDoctor } from "./cli-doctor.ts";
import { startFakeOpenAi, type FakeOpenAi } from "../agent/testing/fake-openai.ts";
import { runCliAsync } from "./testing/run-cli.ts";
import Database from "better-sqlite3";
import { z } from "zod";
import { inflateJson, unpackJson } from "../memory/packing.ts";

const dir = mkdtempSync(join(tmpdir(), "soc-triage-redaction-"));
const labDb = join(dir, "lab.db");
let alertIds: string[] = [];
/** The model every triage here consults, to prove no credential reaches a prompt either. */
let model: FakeOpenAi;
const MODEL_KEY = "sk-model-canary-1f2e3d4c5b6a7988";
/** A model adds ~10 s per vendor on this machine; two vendors (a SIEM and an intel source) show the prompts. */
const WITH_MODEL = new Set(["splunk", "virustotal"]);

beforeAll(async () => {
  model = await startFakeOpenAi({});
  const lab = openLab(labDb, { seed: 1337 });
  const truth = readGroundTruth(lab);
  lab.close();
  // One alert per playbook family: mail + intel, identity + SIEM, EDR + intel.
  alertIds = ["credential_phish_campaign", "impossible_travel_attacker", "lsass_dump"].map(
    (scenario) => truth.find((t) => t.scenario === scenario)?.alertId ?? "",
  );
});
afterEach(() => vi.unstubAllEnvs());
afterAll(async () => {
  await model.close();
  rmSync(dir, { recursive: true, force: true });
});

interface VendorUnderTest {
  servers: FakeServer[];
  block: Record<string, unknown>;
  env: Record<string, string>;
  /** Ports this vendor serves in the triage (the lab keeps alerts, so triage reaches the vendor's tools). */
  ports: Array<Exclude<PortName, "alerts" | "actions">>;
  close: () => Promise<void>;
}

/** A vendor behind one fake server. */
function one(
  fake: FakeServer,
  block: VendorUnderTest["block"],
  env: VendorUnderTest["env"],
  ports: VendorUnderTest["ports"],
): VendorUnderTest {
  return { servers: [fake], block, env, ports, close: () => fake.close() };
}

const microsoft = (url: string) => ({
  tenantId: FAKE_TENANT,
  clientId: FAKE_CLIENT_ID,
  loginUrl: url,
  graphUrl: `${url}/v1.0`,
});
const gmailKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });

const vendors: Record<string, () => Promise<VendorUnderTest>> = {
  splunk: async () => {
    const fake = await startFakeSplunk({ token: "splunk-canary-token-9f3a1c" });
    return one(fake, { baseUrl: fake.url }, { SPLUNK_TOKEN: fake.token }, ["siem"]);
  },
  elastic: async () => {
    const fake = await startElasticFake();
    return {
      servers: [fake.elasticsearch, fake.kibana],
      block: { elasticsearchUrl: fake.elasticsearch.url, kibanaUrl: fake.kibana.url },
      env: { ELASTIC_API_KEY: ELASTIC_KEY },
      ports: ["siem"],
      close: fake.close,
    };
  },
  sentinel: async () => {
    const fake = await startSentinelFake();
    return one(fake, fake.config, { SENTINEL_TEST_SECRET: AZURE_SECRET }, ["siem"]);
  },
  defender: async () => {
    const fake = await startDefenderFake();
    return one(fake, fake.config, { DEFENDER_TEST_SECRET: AZURE_SECRET }, ["edr"]);
  },
  graph: async () => {
    const fake = await startFakeEntra();
    return one(
      fake,
      { ...microsoft(fake.url), mailboxes: ["ann@corp.test", "bob@corp.test"] },
      { AZURE_CLIENT_SECRET: FAKE_SECRET },
      ["mail"],
    );
  },
  entra: async () => {
    const fake = await startFakeEntra();
    return one(fake, microsoft(fake.url), { AZURE_CLIENT_SECRET: FAKE_SECRET }, ["identity"]);
  },
  gmail: async () => {
    const fake = await startGmailFake({
      serviceAccount: { clientEmail: SERVICE_ACCOUNT, publicKey: gmailKeys.publicKey },
    });
    return one(
      fake,
      { baseUrl: fake.url, mailboxes: ["ann@corp.test", "bob@corp.test"] },
      { GOOGLE_APPLICATION_CREDENTIALS: keyJson(`${fake.url}/token`, gmailKeys.privateKey) },
      ["mail"],
    );
  },
  crowdstrike: async () => {
    const fake = await startFalconFake();
    return one(fake, { baseUrl: fake.url }, FALCON_ENV, ["edr"]);
  },
  virustotal: async () => {
    const fake = await startVirusTotalFake();
    return one(fake, { baseUrl: `${fake.url}/api/v3` }, { VT_API_KEY: fake.apiKey }, ["intel"]);
  },
  abuseipdb: async () => {
    const fake = await startAbuseIpdbFake({ apiKey: "abuseipdb-canary-key-5d21e0" });
    return one(fake, { baseUrl: `${fake.url}/api/v2` }, { ABUSEIPDB_API_KEY: fake.apiKey }, ["intel"]);
  },
  urlhaus: async () => {
    const fake = await startUrlhausFake();
    return one(fake, { baseUrl: `${fake.url}/v1` }, { URLHAUS_AUTH_KEY: fake.authKey }, ["intel"]);
  },
};

const CREDENTIAL_HEADERS = ["authorization", "x-apikey", "key", "auth-key", "x-api-key"];
const CREDENTIAL_FIELDS = ["client_secret", "assertion", "password"];

/** Every secret value: the environment's, and every credential the fake actually received. */
function canaries(vendor: VendorUnderTest): string[] {
  const found = new Set<string>();
  for (const [name, value] of Object.entries(vendor.env)) if (!/CLIENT_ID/.test(name)) found.add(value);
  for (const server of vendor.servers)
    for (const request of server.requests) {
      for (const name of CREDENTIAL_HEADERS) {
        const value = request.headers[name];
        if (!value) continue;
        found.add(value);
        found.add(value.replace(/^\S+\s+/, ""));
      }
      const form = formOf(request);
      for (const name of CREDENTIAL_FIELDS) {
        const value = form.get(name);
        if (value) found.add(value);
      }
    }
  // A PEM key is searched for by a line of its body, the part an echo would carry.
  return [...found].flatMap((value) =>
    value.includes("PRIVATE KEY") ? value.split(/\\n|\n/).filter((l) => l.length >= 40) : [value],
  );
}

/** What the case database holds deflated (kept reports, large evidence, alerts, verdicts), as text to search. */
function packedText(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    const reports = z
      .array(z.object({ report: z.instanceof(Uint8Array) }))
      .parse(db.prepare("SELECT report FROM case_reports").all())
      .map((r) => inflateJson(r.report));
    const packedRows = (sql: string) =>
      z
        .array(z.object({ text: z.string(), packed: z.instanceof(Uint8Array).nullable() }))
        .parse(db.prepare(sql).all())
        .map((r) => unpackJson(r));
    // Alert evidence stored as a reference to the alerts row (empty data, no bytes) is searched there.
    const data = packedRows(
      "SELECT data AS text, packed FROM evidence WHERE NOT (data = '' AND packed IS NULL)",
    );
    const alerts = packedRows("SELECT doc AS text, packed FROM alerts");
    const verdicts = packedRows("SELECT doc AS text, packed FROM verdicts WHERE packed IS NOT NULL");
    return JSON.stringify([reports, data, alerts, verdicts]);
  } finally {
    db.close();
  }
}

function leaks(text: string, secrets: readonly string[]): string[] {
  return secrets.filter((secret) => text.includes(secret));
}

function configure(name: string, vendor: VendorUnderTest): { config: string; db: string } {
  const config = join(dir, `${name}.yaml`);
  const choices = Object.fromEntries(vendor.ports.map((port) => [port, name]));
  writeFileSync(config, stringify({ integrations: { ...choices, vendors: { [name]: vendor.block } } }));
  for (const [key, value] of Object.entries(vendor.env)) vi.stubEnv(key, value);
  for (const key of ["TRIAGE_CONFIG", "TRIAGE_DB", "TRIAGE_LAB_DB", "TRIAGE_POLICY", "TRIAGE_SOURCE"])
    vi.stubEnv(key, "");
  vi.stubEnv("TRIAGE_LLM", WITH_MODEL.has(name) ? "openai" : "offline");
  vi.stubEnv("OPENAI_API_KEY", MODEL_KEY);
  vi.stubEnv("OPENAI_BASE_URL", model.baseURL);
  return { config, db: join(dir, `${name}.db`) };
}

const http = { sleep: async () => undefined, retry: { retries: 0 } };

describe.each(Object.keys(vendors))("%s echoing our request in its error bodies", (name) => {
  it("leaks no credential into ToolErrors, doctor output or the case database", async () => {
    const start = vendors[name];
    if (!start) throw new Error(`no fake for ${name}`);
    const vendor = await start();
    try {
      const { config, db } = configure(name, vendor);
      // First pass: token endpoints echo too (client secrets, signed assertions in the form body).
      let echoTokens = true;
      for (const server of vendor.servers)
        server.inject(echoRequest(502), {
          times: 100_000,
          when: (request) => echoTokens || !/\/token$/.test(request.path),
        });
      const overrides = { config, db, labDb };
      const firstDoctor = await runDoctor(overrides, { http });
      echoTokens = false;
      // Second pass: tokens are issued, and the API calls that carry them are echoed.
      const composed = await composeTools(loadConfig(overrides), { now: () => new Date(), http });
      const probes = (await Promise.all(composed.vendors.map((v) => v.probe()))).flat();
      composed.tools.close?.();
      const doctor = await runDoctor(overrides, { http });

      const opened = await openRuntime(loadConfig(overrides), { http });
      try {
        for (const alertId of alertIds) await runTriage(opened.runtime, alertId, { dryRun: true });
      } finally {
        await opened.close();
      }

      const secrets = [...canaries(vendor), MODEL_KEY];
      expect(secrets.length).toBeGreaterThan(0);
      // The echo really happened: the probes failed quoting the request.
      expect(
        probes.some((p) => !p.ok),
        JSON.stringify(probes),
      ).toBe(true);
      expect(leaks(JSON.stringify(probes), secrets)).toEqual([]);
      expect(leaks(JSON.stringify([firstDoctor, doctor]), secrets)).toEqual([]);
      const bytes = [db, `${db}-wal`]
        .filter((path) => existsSync(path))
        .map((path) => readFileSync(path).toString("latin1"))
        .join("");
      expect(bytes).toContain("request rejected");
      expect(leaks(bytes, secrets)).toEqual([]);
      const packed = packedText(db);
      expect(packed).toContain("request rejected");
      expect(leaks(packed, secrets)).toEqual([]);
      if (WITH_MODEL.has(name)) {
        const prompts = model.requests.map((r) => r.text).join("\n");
        expect(prompts).toContain("request rejected");
        expect(leaks(prompts, secrets)).toEqual([]);
      }
    } finally {
      await vendor.close();
    }
  });
});

describe("triage doctor as a user runs it", () => {
  it("prints no credential when a vendor echoes the request in its error bodies", async () => {
    const splunk = await startFakeSplunk({ token: "splunk-cli-canary-7b1e44" });
    try {
      splunk.inject(echoRequest(403), { times: 1000 });
      const config = join(dir, "doctor-cli.yaml");
      writeFileSync(
        config,
        stringify({ integrations: { siem: "splunk", vendors: { splunk: { baseUrl: splunk.url } } } }),
      );
      const run = await runCliAsync(["doctor"], {
        TRIAGE_CONFIG: config,
        TRIAGE_DB: join(dir, "doctor-cli.db"),
        TRIAGE_LAB_DB: labDb,
        SPLUNK_TOKEN: splunk.token,
      });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain("request rejected");
      expect(run.stdout).toContain("[REDACTED]");
      expect(`${run.stdout}${run.stderr}`).not.toContain(splunk.token);
    } finally {
      await splunk.close();
    }
  }, 60_000);
});
