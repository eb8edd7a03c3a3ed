/**
 * AbuseIPDB v2's HTTP client: the `Key` header, `{errors:[{detail,status}]}` bodies (read by the shared
 * error parser), and its throttle hints: Retry-After on 429, else X-RateLimit-Reset (epoch seconds).
 * A daily limit asks for hours (Retry-After 29241 is typical), far past the client's budget, so the lookup
 * fails at once with RATE_LIMITED and the hint; a short burst limit is waited out and retried.
 */
import { requireSecret } from "../../auth.ts";
import { createHttpClient, retryAfterHeaderMs, type HttpClient } from "../../http.ts";
import type { VendorContext } from "../types.ts";

export const VENDOR = "abuseipdb";

export interface AbuseIpdbClientConfig {
  baseUrl: string;
  apiKeyEnv: string;
}

function resetHintMs(response: Response, now: number): number | undefined {
  const reset = Number(response.headers.get("x-ratelimit-reset"));
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now) : undefined;
}

export function abuseIpdbClient(config: AbuseIpdbClientConfig, context: VendorContext): HttpClient {
  return createHttpClient({
    vendor: VENDOR,
    baseUrl: config.baseUrl,
    // `Accept: application/json` is every client's default; without it AbuseIPDB answers errors in HTML.
    auth: {
      headers: async () => ({ Key: requireSecret(context.env[config.apiKeyEnv], config.apiKeyEnv, VENDOR) }),
    },
    retryAfterMs: (response, _body, now) =>
      retryAfterHeaderMs(response, now) ?? (response.status === 429 ? resetHintMs(response, now) : undefined),
    ...context.http,
  });
}
