/**
 * URLhaus's HTTP client (abuse.ch): the `Auth-Key` header and its `{"query_status":"…"}` answers. A bad key
 * says `unknown_auth_key`, with HTTP 401 or 403 (reported both ways) or even 200; the first two are
 * classified here, the 200 by the intel port, so all three are AUTH_FAILED. URLhaus documents no rate limit
 * signal; a 429 or 5xx is retried within the client's budget like any other vendor's.
 */
import { z } from "zod";
import { requireSecret } from "../../auth.ts";
import { createHttpClient, type HttpClient } from "../../http.ts";
import type { VendorContext } from "../types.ts";

export const VENDOR = "urlhaus";

const statusSchema = z.object({ query_status: z.string() });

/** The query_status of an answer, if it has one. */
export function queryStatusOf(body: string): string | undefined {
  try {
    const parsed = statusSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data.query_status : undefined;
  } catch {
    return undefined;
  }
}

export interface UrlhausClientConfig {
  baseUrl: string;
  authKeyEnv: string;
}

export function urlhausClient(config: UrlhausClientConfig, context: VendorContext): HttpClient {
  return createHttpClient({
    vendor: VENDOR,
    baseUrl: config.baseUrl,
    auth: {
      headers: async () => ({
        "Auth-Key": requireSecret(context.env[config.authKeyEnv], config.authKeyEnv, VENDOR),
      }),
    },
    classify: (_status, body) =>
      queryStatusOf(body) === "unknown_auth_key" ? { code: "AUTH_FAILED", retryable: false } : undefined,
    errorText: queryStatusOf,
    ...context.http,
  });
}
