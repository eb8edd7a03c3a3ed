/**
 * The `integrations.vendors.elastic` block: where Elasticsearch and Kibana live, which environment variable
 * holds the API key, which index pattern (plus an optional term filter) holds each SIEM dataset, and which
 * query language searches them. Datasets default to ECS data streams told apart by `event.category`.
 *
 * ```yaml
 * integrations:
 *   vendors:
 *     elastic:
 *       elasticsearchUrl: https://es.corp.example:9200
 *       kibanaUrl: https://kibana.corp.example:5601
 *       space: soc                      # requests go to /s/soc/api/…
 *       apiKeyEnv: ELASTIC_API_KEY      # the `encoded` API key (or id:api_key)
 *       language: esql                  # dsl (default) or esql (8.14+)
 *       datasets:
 *         signin: { index: "logs-okta*,logs-azure.signinlogs-*" }   # filter: {} when the index says it all
 *         proxy: { index: "logs-*", filter: { event.category: web, event.module: zscaler_zia } }
 * ```
 */
import { z } from "zod";
import { siemDatasetSchema, type SiemDataset } from "../../../core/domain.ts";

export const VENDOR = "elastic";

/** Index patterns are spliced into URL paths and ES|QL FROM: no spaces, quotes, pipes, slashes or brackets. */
const indexPatternSchema = z
  .string()
  .regex(/^[A-Za-z0-9._*:+-]+(,[A-Za-z0-9._*:+-]+)*$/, "an index pattern like logs-* or a,b")
  .describe("Index pattern, data stream or alias; comma-separated for several");

const fieldNameSchema = z.string().regex(/^[A-Za-z_@][A-Za-z0-9_.@-]*$/);

export const datasetConfigSchema = z.strictObject({
  index: indexPatternSchema,
  /** Trusted, from the configuration: every field must hold one of its values (ECS arrays match any element). */
  filter: z.record(fieldNameSchema, z.union([z.string(), z.array(z.string()).min(1)])).default({}),
});
export type DatasetConfig = z.infer<typeof datasetConfigSchema>;

export const DEFAULT_DATASETS: Record<SiemDataset, DatasetConfig> = {
  signin: { index: "logs-*", filter: { "event.category": "authentication" } },
  proxy: { index: "logs-*", filter: { "event.category": "web" } },
  dns: { index: "logs-*", filter: { "event.category": "network", "network.protocol": "dns" } },
  mail: { index: "logs-*", filter: { "event.category": "email" } },
  process: { index: "logs-*", filter: { "event.category": "process" } },
  network: { index: "logs-*", filter: { "event.category": "network" } },
  audit: { index: "logs-*", filter: { "event.category": ["iam", "configuration"] } },
};

const datasetsSchema = z
  .strictObject({
    signin: datasetConfigSchema.optional(),
    proxy: datasetConfigSchema.optional(),
    dns: datasetConfigSchema.optional(),
    mail: datasetConfigSchema.optional(),
    process: datasetConfigSchema.optional(),
    network: datasetConfigSchema.optional(),
    audit: datasetConfigSchema.optional(),
  })
  .default({})
  .transform((given): Record<SiemDataset, DatasetConfig> => {
    const datasets = { ...DEFAULT_DATASETS };
    for (const name of siemDatasetSchema.options) datasets[name] = given[name] ?? datasets[name];
    return datasets;
  });

export const elasticConfigSchema = z
  .strictObject({
    elasticsearchUrl: z.url().optional().describe("https://<es-host>:9200; serves the siem port"),
    kibanaUrl: z.url().optional().describe("https://<kibana-host>:5601; serves the alerts port"),
    space: z
      .string()
      .regex(/^[a-z0-9_-]+$/)
      .default("default")
      .describe("Kibana space id; other than default, requests go under /s/<space>"),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/)
      .default("ELASTIC_API_KEY")
      .describe("Environment variable holding the API key (the `encoded` value, or id:api_key)"),
    language: z.enum(["dsl", "esql"]).default("dsl").describe("Query language of the siem port"),
    datasets: datasetsSchema,
    /** Hits per _search request; beyond it the search pages with a point in time and search_after. */
    pageSize: z.number().int().min(1).max(10_000).default(1000),
    /** Alerts per Kibana request; beyond it the list pages by timestamp. */
    alertPageSize: z.number().int().min(1).max(10_000).default(500),
    /** ES|QL through /_query/async (8.13+), polled; false uses the synchronous /_query. */
    esqlAsync: z.boolean().default(true),
    /** Longest wait for an asynchronous ES|QL query. */
    esqlTimeoutMs: z.number().int().min(1_000).max(600_000).default(60_000),
  })
  .refine((c) => c.elasticsearchUrl !== undefined || c.kibanaUrl !== undefined, {
    message: "set elasticsearchUrl (siem), kibanaUrl (alerts), or both",
  });
export type ElasticConfig = z.infer<typeof elasticConfigSchema>;
