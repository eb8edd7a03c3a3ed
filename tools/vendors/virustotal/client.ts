/**
 * VirusTotal v3's HTTP client: the `x-apikey` header, `{error:{code,message}}` bodies, and a throttle hint
 * for QuotaExceededError, which VirusTotal sends without Retry-After.
 */
import { z } from "zod";
import { requireSecret } from "../../auth.ts";
import { createHttpClient, retryAfterHeaderMs, type HttpClient } from "../../http.ts";
import type { VendorContext } from "../types.ts";

export const VENDOR = "virustotal";

/**
 * What a QuotaExceededError asks us to wait: the public quota is counted per minute (and per day). The
 * client's budget (30 s by default) is shorter, so a lookup fails at once with RATE_LIMITED and this hint,
 * and the case goes on with its other intel sources instead of stalling a minute per observable.
 * TooManyRequestsError (a burst) carries no hint and is retried with the client's short backoff.
 */
export const QUOTA_BACKOFF_MS = 60_000;

const errorBodySchema = z.object({
  error: z.object({ code: z.string().nullish(), message: z.string().nullish() }),
});

function errorBody(body: string): { code?: string | null | undefined; message?: string | null | undefined } {
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data.error : {};
  } catch {
    return {};
  }
}

/** "Code: message" from a VirusTotal error body. */
export function virusTotalErrorText(body: string): string | undefined {
  const { code, message } = errorBody(body);
  return [code, message].filter(Boolean).join(": ") || undefined;
}

export interface VirusTotalClientConfig {
  baseUrl: string;
  apiKeyEnv: string;
}

export function virusTotalClient(config: VirusTotalClientConfig, context: VendorContext): HttpClient {
  return createHttpClient({
    vendor: VENDOR,
    baseUrl: config.baseUrl,
    // Read on each request, so a key set after start-up is used and a missing one fails only when called.
    auth: {
      headers: async () => ({
        "x-apikey": requireSecret(context.env[config.apiKeyEnv], config.apiKeyEnv, VENDOR),
      }),
    },
    errorText: virusTotalErrorText,
    // Only VirusTotal's own NotFoundError means "never seen"; any other 404 (a wrong baseUrl, a proxy) must
    // not quietly turn every lookup into "unknown".
    classify: (status, body) =>
      status === 404 && errorBody(body).code !== "NotFoundError"
        ? { code: "BAD_RESPONSE", retryable: false }
        : undefined,
    retryAfterMs: (response, body, now) => {
      const header = retryAfterHeaderMs(response, now);
      if (header !== undefined || response.status !== 429) return header;
      return errorBody(body).code === "QuotaExceededError" ? QUOTA_BACKOFF_MS : undefined;
    },
    ...context.http,
  });
}
