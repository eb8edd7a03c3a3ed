/**
 * The `integrations.vendors.splunk` block: where Splunk is, how to authenticate (names of env vars only),
 * how searches run, and how our datasets and ECS field names land on Splunk indexes and (CIM) field names.
 */
import { z } from "zod";
import type { SiemDataset } from "../../../core/domain.ts";

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name");
/** Splunk field names we splice into SPL; kept to a shape that needs no quoting in a search term. */
const splunkField = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, "a Splunk field name");
const ecsField = z.string().regex(/^[a-z_][a-z0-9_.]*$/, "an ECS field name");
/** Index, sourcetype and tag values: quoted in SPL anyway; `*` stays a wildcard on purpose. */
const selector = z.string().regex(/^[A-Za-z0-9_*:.\-/]+$/, "letters, digits and _ * : . - /");

const datasetSchema = z.strictObject({
  index: z.array(selector).optional().describe("Indexes to search (OR); default every index: *"),
  sourcetype: z.array(selector).optional().describe("Sourcetypes (OR); default any"),
  tag: z.array(selector).optional().describe("CIM tags that must all be present"),
  filter: z
    .string()
    .regex(/^[^|\n\r]*$/, "search terms only, no pipe or newline")
    .optional()
    .describe("Extra search terms (trusted config), e.g. `cim_Authentication_indexes` or app=okta"),
  fields: z.record(ecsField, splunkField).optional().describe("ECS → Splunk field names for this dataset"),
});
export type DatasetConfig = z.infer<typeof datasetSchema>;

export const splunkConfigSchema = z.strictObject({
  baseUrl: z.url().describe("Management port, e.g. https://splunk.example.com:8089"),
  tokenEnv: envName.default("SPLUNK_TOKEN").describe("Env var holding a Splunk auth token (Bearer)"),
  username: z.string().min(1).optional().describe("Log in with a password instead of a token"),
  passwordEnv: envName.default("SPLUNK_PASSWORD").describe("Env var holding that user's password"),
  app: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .optional()
    .describe("Run searches in this app's namespace (/servicesNS/<owner>/<app>) for its macros"),
  owner: z
    .string()
    .regex(/^[A-Za-z0-9_.@-]+$/)
    .default("nobody"),
  mode: z
    .enum(["job", "export"])
    .default("job")
    .describe("job: search job polled to completion, results paged; export: one streamed answer"),
  pageSize: z.number().int().min(1).max(50_000).default(1000).describe("Rows per results request"),
  jobTimeoutMs: z.number().int().min(1000).default(120_000).describe("Longest wait for a search job"),
  siem: z
    .strictObject({
      datasets: z
        .partialRecord(
          z.enum(["signin", "proxy", "dns", "mail", "process", "network", "audit"]),
          datasetSchema,
        )
        .default({})
        .describe("Per dataset, overriding the CIM-style defaults key by key"),
      fields: z.record(ecsField, splunkField).default({}).describe("ECS → Splunk names over the defaults"),
      numericFields: z.array(ecsField).default([]).describe("More ECS fields whose values are numbers"),
      idFields: z
        .array(splunkField)
        .default(["event_id", "id"])
        .describe("Fields holding an event's own id; else one is derived from Splunk's bucket address"),
    })
    .default({ datasets: {}, fields: {}, numericFields: [], idFields: ["event_id", "id"] }),
  alerts: z
    .strictObject({
      search: z
        .string()
        .regex(/^[^\n\r]+$/)
        .default("index=notable")
        .describe("Where notables are: index=notable, or the ES macro `notable` (adds status, owner…)"),
    })
    .default({ search: "index=notable" }),
});
export type SplunkConfig = z.infer<typeof splunkConfigSchema>;

/** CIM data models' tags per dataset; every event type the CIM add-ons tag lands in one of them. */
export const DEFAULT_DATASETS: Record<SiemDataset, DatasetConfig> = {
  signin: { index: ["*"], tag: ["authentication"] },
  proxy: { index: ["*"], tag: ["web"] },
  dns: { index: ["*"], tag: ["network", "resolution", "dns"] },
  mail: { index: ["*"], tag: ["email"] },
  process: { index: ["*"], tag: ["process", "report"] },
  network: { index: ["*"], tag: ["network", "communicate"] },
  audit: { index: ["*"], tag: ["change"] },
};

/** ECS → CIM field names. Fields not listed are searched under their ECS name (JSON-extracted data). */
export const DEFAULT_FIELDS: Record<string, string> = {
  "user.name": "user",
  "source.ip": "src",
  "source.port": "src_port",
  "source.geo.country_iso_code": "src_country",
  "source.geo.city_name": "src_city",
  "destination.ip": "dest_ip",
  "destination.port": "dest_port",
  "host.name": "dest",
  "event.outcome": "action",
  "user_agent.original": "http_user_agent",
  "url.full": "url",
  "url.domain": "url_domain",
  "http.request.method": "http_method",
  "http.response.status_code": "status",
  "http.response.bytes": "bytes_in",
  "http.request.bytes": "bytes_out",
  "dns.question.name": "query",
  "dns.response_code": "reply_code",
  "email.from.address": "src_user",
  "email.to.address": "recipient",
  "email.subject": "subject",
  "email.message_id": "message_id",
  "process.name": "process_name",
  "process.command_line": "process",
  "process.executable": "process_path",
  "process.pid": "process_id",
  "process.parent.name": "parent_process_name",
  "process.hash.sha256": "process_hash",
  "file.hash.sha256": "file_hash",
  "network.transport": "transport",
};

/** ECS fields whose values are numbers; Splunk hands every value back as a string. */
export const DEFAULT_NUMERIC_FIELDS: readonly string[] = [
  "source.port",
  "destination.port",
  "http.response.status_code",
  "http.response.bytes",
  "http.request.bytes",
  "process.pid",
  "process.parent.pid",
  "network.bytes",
  "event.duration",
];

/** The dataset's selection and field mapping after the user's overrides. */
export interface ResolvedDataset {
  index: readonly string[];
  sourcetype: readonly string[];
  tag: readonly string[];
  filter: string | undefined;
  fields: Readonly<Record<string, string>>;
}

export function resolveDataset(config: SplunkConfig, dataset: SiemDataset): ResolvedDataset {
  const base = DEFAULT_DATASETS[dataset];
  const own = config.siem.datasets[dataset] ?? {};
  return {
    index: own.index ?? base.index ?? [],
    sourcetype: own.sourcetype ?? base.sourcetype ?? [],
    tag: own.tag ?? base.tag ?? [],
    filter: own.filter ?? base.filter,
    fields: { ...DEFAULT_FIELDS, ...config.siem.fields, ...own.fields },
  };
}
