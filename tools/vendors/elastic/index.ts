/**
 * Elasticsearch and Elastic Security (Kibana): the siem port over Elasticsearch (query DSL or ES|QL) and the
 * alerts port over Kibana's detection alerts. Either URL may be left out to serve only the other port.
 */
import { z } from "zod";
import { ToolError } from "../../../core/errors.ts";
import type { HttpClient } from "../../http.ts";
import {
  probeStep,
  type ProbeResult,
  type VendorContext,
  type VendorInstance,
  type VendorModule,
} from "../types.ts";
import { createElasticAlerts, SIGNALS_SEARCH } from "./alerts.ts";
import { createElasticClients } from "./client.ts";
import { elasticConfigSchema, VENDOR, type ElasticConfig } from "./config.ts";
import { datasetClauses } from "./dsl.ts";
import { createElasticSiem, searchResponseSchema } from "./siem.ts";

const infoSchema = z.object({
  cluster_name: z.string().nullish(),
  version: z.object({ number: z.string() }).nullish(),
});

const privilegesSchema = z.object({
  username: z.string().nullish(),
  is_authenticated: z.boolean().nullish(),
  index: z.record(z.string(), z.record(z.string(), z.boolean())).nullish(),
});

const countOf = (total: number | { value: number } | null | undefined) =>
  typeof total === "number" ? total : (total?.value ?? 0);

/** A 403 said as the missing permission, in one line. */
async function withPermission<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ToolError && error.code === "FORBIDDEN")
      throw new ToolError("FORBIDDEN", `${VENDOR}: the API key lacks ${what} (${error.message})`, error);
    throw error;
  }
}

function elasticsearchProbes(
  http: HttpClient,
  config: ElasticConfig,
  signal?: AbortSignal,
): Promise<ProbeResult>[] {
  const signin = config.datasets.signin;
  return [
    probeStep("elasticsearch: reachable and authenticated", async () => {
      try {
        const info = await http.json({ path: "/", schema: infoSchema, ...(signal ? { signal } : {}) });
        return `cluster ${info.cluster_name ?? "?"}, version ${info.version?.number ?? "?"}`;
      } catch (error) {
        // GET / needs the monitor cluster privilege, which a least-privilege key lacks: a 403 still proves the key.
        if (error instanceof ToolError && error.code === "FORBIDDEN")
          return "authenticated (no monitor privilege to read the version; not needed)";
        throw error;
      }
    }),
    probeStep(`siem: read signin events (${signin.index})`, async () => {
      const page = await withPermission(`the read privilege on ${signin.index}`, () =>
        http.json({
          method: "POST",
          path: `/${encodeURIComponent(signin.index)}/_search`,
          json: { size: 0, track_total_hits: true, query: { bool: { filter: datasetClauses(signin) } } },
          schema: searchResponseSchema,
          ...(signal ? { signal } : {}),
        }),
      );
      return `${countOf(page.hits.total)} signin events readable (${config.language})`;
    }),
  ];
}

function kibanaProbes(http: HttpClient, config: ElasticConfig, signal?: AbortSignal): Promise<ProbeResult>[] {
  return [
    probeStep(`alerts: read detection alerts (space ${config.space})`, async () => {
      const privileges = await http.json({
        path: "/api/detection_engine/privileges",
        schema: privilegesSchema,
        ...(signal ? { signal } : {}),
      });
      if (privileges.is_authenticated === false)
        throw new ToolError("AUTH_FAILED", `${VENDOR}: Kibana did not authenticate the API key`, {
          vendor: VENDOR,
        });
      const indexes = Object.entries(privileges.index ?? {});
      if (indexes.length > 0 && !indexes.some(([, p]) => p.read === true))
        throw new ToolError(
          "FORBIDDEN",
          `${VENDOR}: the API key lacks the read privilege on ${indexes.map(([name]) => name).join(", ")}`,
          { vendor: VENDOR },
        );
      const page = await withPermission("the Security alerts read privilege", () =>
        http.json({
          method: "POST",
          path: SIGNALS_SEARCH,
          json: { size: 0, track_total_hits: true, query: { match_all: {} } },
          schema: searchResponseSchema,
          ...(signal ? { signal } : {}),
        }),
      );
      return `${countOf(page.hits.total)} alerts readable as ${privileges.username ?? "the API key"}`;
    }),
  ];
}

export const elasticVendor: VendorModule<ElasticConfig> = {
  name: VENDOR,
  provides: ["alerts", "siem"],
  configSchema: elasticConfigSchema,
  create(config: ElasticConfig, context: VendorContext): VendorInstance {
    const { elasticsearch, kibana } = createElasticClients(config, context);
    return {
      ...(elasticsearch ? { siem: createElasticSiem(elasticsearch, config, context) } : {}),
      ...(kibana ? { alerts: createElasticAlerts(kibana, config) } : {}),
      async probe(signal) {
        return Promise.all([
          ...(elasticsearch ? elasticsearchProbes(elasticsearch, config, signal) : []),
          ...(kibana ? kibanaProbes(kibana, config, signal) : []),
        ]);
      },
    };
  },
};
