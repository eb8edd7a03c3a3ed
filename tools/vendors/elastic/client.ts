/**
 * HTTP clients for Elasticsearch and Kibana: one API key for both (`Authorization: ApiKey <encoded>`, read
 * from the environment on first use), `kbn-xsrf` on Kibana requests, and the two error-body shapes. Neither
 * sends Retry-After; a 429 (es_rejected_execution_exception, circuit_breaking_exception) is retried by the
 * shared client with exponential backoff.
 */
import { z } from "zod";
import { requireSecret } from "../../auth.ts";
import { createHttpClient, type HttpAuth, type HttpClient } from "../../http.ts";
import type { VendorContext } from "../types.ts";
import { VENDOR, type ElasticConfig } from "./config.ts";

const causeSchema = z.object({ type: z.string().nullish(), reason: z.string().nullish() });
const elasticErrorSchema = z.union([
  // Kibana first: {"statusCode","error","message"}, whose `error` is a string too.
  z.object({ statusCode: z.number(), message: z.string().nullish(), error: z.string().nullish() }),
  // Elasticsearch: {"error":{"root_cause":[…],"type","reason"},"status"}, or a bare string in old versions.
  z.object({
    error: z.union([
      z.string(),
      causeSchema.extend({ root_cause: z.array(causeSchema).nullish(), caused_by: causeSchema.nullish() }),
    ]),
  }),
]);

/** "type: reason" from an Elasticsearch error (its root cause when given), or a Kibana error's message. */
export function elasticErrorText(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const result = elasticErrorSchema.safeParse(parsed);
  if (!result.success) return undefined;
  const data = result.data;
  if ("statusCode" in data) return data.message ?? data.error ?? undefined;
  if (typeof data.error === "string") return data.error;
  const cause = data.error.root_cause?.[0] ?? data.error;
  return [cause.type, cause.reason].filter(Boolean).join(": ") || undefined;
}

/** The `encoded` API key; an `id:api_key` pair is encoded here, since the encoded form never holds a colon. */
export function apiKeyAuth(config: ElasticConfig, context: VendorContext): HttpAuth {
  return {
    headers: async () => {
      const secret = requireSecret(context.env[config.apiKeyEnv], config.apiKeyEnv, VENDOR);
      const encoded = secret.includes(":") ? Buffer.from(secret, "utf8").toString("base64") : secret;
      return { authorization: `ApiKey ${encoded}` };
    },
  };
}

export interface ElasticClients {
  elasticsearch: HttpClient | null;
  /** Kibana with the space prefix already in its base URL. */
  kibana: HttpClient | null;
}

export function createElasticClients(config: ElasticConfig, context: VendorContext): ElasticClients {
  const auth = apiKeyAuth(config, context);
  const common = { vendor: VENDOR, auth, errorText: elasticErrorText, ...context.http };
  const spacePrefix = config.space === "default" ? "" : `/s/${config.space}`;
  const kibanaAuth: HttpAuth = {
    // Kibana refuses writes (every POST, including searches) without kbn-xsrf; it is harmless on reads. The
    // public detection-engine routes are versioned; serverless Kibana requires the version header.
    headers: async (signal) => ({
      ...(await auth.headers(signal)),
      "kbn-xsrf": "soc-triage",
      "elastic-api-version": "2023-10-31",
    }),
  };
  return {
    elasticsearch: config.elasticsearchUrl
      ? createHttpClient({ ...common, baseUrl: config.elasticsearchUrl.replace(/\/+$/, "") })
      : null,
    kibana: config.kibanaUrl
      ? createHttpClient({
          ...common,
          auth: kibanaAuth,
          baseUrl: config.kibanaUrl.replace(/\/+$/, "") + spacePrefix,
        })
      : null,
  };
}
