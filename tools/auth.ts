/**
 * Authentication for vendor clients: fixed headers (API keys), and OAuth2 tokens fetched, cached until
 * shortly before they expire, and shared by concurrent requests (one token request at a time).
 */
import { z } from "zod";
import { ToolError } from "../core/errors.ts";
import { createHttpClient, restate, type HttpAuth, type HttpClientOptions } from "./http.ts";
import { secrets } from "../core/redact.ts";

/** Headers that never change, e.g. `x-apikey`. */
export function staticAuth(headers: Record<string, string>): HttpAuth {
  return { headers: async () => headers };
}

/** A missing secret, named by the environment variable the configuration points at. */
export function requireSecret(value: string | undefined, envName: string, vendor: string): string {
  if (value) {
    secrets.add(value);
    return value;
  }
  throw new ToolError("AUTH_FAILED", `${vendor}: no credentials: set ${envName} in the environment`, {
    vendor,
  });
}

const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  // Most servers send a number; some send a numeric string.
  expires_in: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).nullish(),
  token_type: z.string().nullish(),
});

export interface TokenAuthOptions {
  vendor: string;
  /** The token endpoint, absolute. */
  tokenUrl: string;
  /** Form fields of the token request (grant_type, client_id, client_secret, scope…), or a function for fresh ones (a signed JWT). */
  form: Record<string, string> | (() => Record<string, string>);
  /** Refresh this long before the token expires. */
  refreshMarginMs?: number;
  http?: Pick<HttpClientOptions, "fetch" | "sleep" | "timeoutMs" | "retry">;
  now?: () => number;
}

/**
 * An OAuth2 token grant (client credentials, JWT bearer): fetched on first use, reused until `expires_in`
 * minus a margin, fetched again after `invalidate()` (a 401 on a request). Token endpoints answer 200
 * (Microsoft, Google) or 201 (CrowdStrike); any 2xx with an access_token counts.
 */
export type TokenAuth = HttpAuth & { invalidate(): void; fetches(): number };

export function createTokenAuth(options: TokenAuthOptions): TokenAuth {
  const now = options.now ?? Date.now;
  const margin = options.refreshMarginMs ?? 60_000;
  const url = new URL(options.tokenUrl);
  const client = createHttpClient({
    vendor: options.vendor,
    baseUrl: url.origin,
    ...options.http,
    ...(options.now ? { now } : {}),
  });
  let cached: { token: string; expiresAt: number } | null = null;
  let pending: Promise<string> | null = null;
  let fetches = 0;

  async function fetchToken(signal?: AbortSignal): Promise<string> {
    fetches++;
    const form = typeof options.form === "function" ? options.form() : options.form;
    try {
      const body = await client.json({
        method: "POST",
        path: url.pathname + url.search,
        form,
        schema: tokenResponseSchema,
        ...(signal ? { signal } : {}),
      });
      secrets.addFetched(body.access_token);
      const lifetimeMs = (body.expires_in ?? 3600) * 1000;
      cached = { token: body.access_token, expiresAt: now() + Math.max(lifetimeMs - margin, lifetimeMs / 2) };
      return body.access_token;
    } catch (error) {
      // Token endpoints answer a bad secret with 400, 401 (invalid_client) or 403 (CrowdStrike): the credentials.
      if (error instanceof ToolError && ["BAD_INPUT", "AUTH_FAILED", "FORBIDDEN"].includes(error.code)) {
        throw restate(error, "AUTH_FAILED", "token refused");
      }
      throw error;
    }
  }

  return {
    async headers(signal) {
      if (cached && now() < cached.expiresAt) return { authorization: `Bearer ${cached.token}` };
      pending ??= fetchToken(signal).finally(() => {
        pending = null;
      });
      return { authorization: `Bearer ${await pending}` };
    },
    invalidate() {
      cached = null;
    },
    fetches: () => fetches,
  };
}

/** Microsoft identity platform client credentials (Entra ID): one token per resource scope. */
export function microsoftTokenAuth(options: {
  vendor: string;
  loginUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  http?: TokenAuthOptions["http"];
  now?: () => number;
}): TokenAuth {
  return createTokenAuth({
    vendor: options.vendor,
    tokenUrl: `${options.loginUrl.replace(/\/+$/, "")}/${encodeURIComponent(options.tenantId)}/oauth2/v2.0/token`,
    form: {
      grant_type: "client_credentials",
      client_id: options.clientId,
      client_secret: options.clientSecret,
      scope: options.scope,
    },
    ...(options.http ? { http: options.http } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}
