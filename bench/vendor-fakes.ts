/**
 * The benchmark's vendor world: Sentinel (alerts, SIEM), Defender (EDR), Graph (mail), Entra (identity) and
 * three intel vendors, each a fake server seeded with the contract fixture, every request answered after
 * a delay as a real cloud API would. Tool calls and wall time per alert, one at a time vs in parallel.
 */
import { join } from "node:path";
import { loadConfig } from "../agent/config.ts";
import { integrationsSchema } from "../tools/registry.ts";
import { startAbuseIpdbFake } from "../tools/vendors/abuseipdb/testing/fake.ts";
import { startDefenderFake } from "../tools/vendors/defender/testing/fake.ts";
import { startFakeEntra } from "../tools/vendors/entra/testing/fake.ts";
import { FAKE_CLIENT_ID, FAKE_SECRET, FAKE_TENANT } from "../tools/vendors/graph/testing/fake-server.ts";
import { FAKE_SECRET as AZURE_FAKE_SECRET } from "../tools/vendors/microsoft/testing/fake-entra.ts";
import { startSentinelFake } from "../tools/vendors/sentinel/testing/fake.ts";
import { incidentsWithMailEntities } from "../tools/vendors/sentinel/testing/seed.ts";
import { startUrlhausFake } from "../tools/vendors/urlhaus/testing/fake.ts";
import { startVirusTotalFake } from "../tools/vendors/virustotal/testing/fake.ts";
import { timeTriage, toolBenchRow, type ToolBenchRow } from "./tools.ts";

/** fetch, answering after `ms`: the network and the vendor's own latency. */
function delayedFetch(ms: number): typeof fetch {
  return async (input, init) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return fetch(input, init);
  };
}

export async function benchVendorTools(
  scratch: string,
  delayMs: number,
  rounds: number,
): Promise<ToolBenchRow[]> {
  const [sentinel, defender, graph, vt, abuseipdb, urlhaus] = await Promise.all([
    startSentinelFake({ pageSize: 100, incidents: incidentsWithMailEntities() }),
    startDefenderFake({ pageSize: 100 }),
    startFakeEntra(),
    startVirusTotalFake(),
    startAbuseIpdbFake(),
    startUrlhausFake(),
  ]);
  try {
    const microsoft = {
      tenantId: FAKE_TENANT,
      clientId: FAKE_CLIENT_ID,
      loginUrl: graph.url,
      graphUrl: `${graph.url}/v1.0`,
    };
    const integrations = integrationsSchema.parse({
      alerts: "sentinel",
      siem: "sentinel",
      edr: "defender",
      mail: "graph",
      identity: "entra",
      intel: ["virustotal", "abuseipdb", "urlhaus"],
      vendors: {
        sentinel: sentinel.config,
        defender: defender.config,
        graph: { ...microsoft, mailboxes: ["ann@corp.test", "bob@corp.test"] },
        entra: microsoft,
        virustotal: { baseUrl: `${vt.url}/api/v3` },
        abuseipdb: { baseUrl: `${abuseipdb.url}/api/v2` },
        urlhaus: { baseUrl: `${urlhaus.url}/v1` },
      },
    });
    const env = {
      SENTINEL_TEST_SECRET: AZURE_FAKE_SECRET,
      DEFENDER_TEST_SECRET: AZURE_FAKE_SECRET,
      AZURE_CLIENT_SECRET: FAKE_SECRET,
      VT_API_KEY: vt.apiKey,
      ABUSEIPDB_API_KEY: abuseipdb.apiKey,
      URLHAUS_AUTH_KEY: urlhaus.authKey,
    };
    const base = loadConfig({ db: join(scratch, "tools-vendors.db"), labDb: join(scratch, "lab.db") });
    const alertIds = Array.from({ length: rounds }, () => ["FX-1", "FX-2"]).flat();
    const rows: ToolBenchRow[] = [];
    for (const [mode, concurrency] of [
      ["sequential", 1],
      ["parallel", base.budget.toolConcurrency],
    ] as const) {
      const config = { ...base, integrations, env, databasePath: join(scratch, `tools-vendors-${mode}.db`) };
      // intelCacheHours 0 would skip the cache; a fresh database per mode keeps both runs equally cold.
      const run = await timeTriage(config, alertIds, concurrency, { http: { fetch: delayedFetch(delayMs) } });
      rows.push(toolBenchRow("vendor fakes", mode, run));
    }
    return rows;
  } finally {
    await Promise.all([sentinel, defender, graph, vt, abuseipdb, urlhaus].map((f) => f.close()));
  }
}
