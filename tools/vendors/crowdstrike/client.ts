/**
 * The Falcon API client: OAuth2 client credentials (the token endpoint answers 201; a refused secret is a
 * 403 there), the `{meta, errors, resources}` envelope with errors[0].message as the error text, the
 * epoch-seconds `X-RateLimit-RetryAfter` throttle hint, offset paging of query endpoints, and 403s turned
 * into the API scope the client lacks.
 */
import { z } from "zod";
import { createTokenAuth, requireSecret, type TokenAuth } from "../../auth.ts";
import { ToolError } from "../../../core/errors.ts";
import {
  answerOf,
  createHttpClient,
  restate,
  type HttpAuth,
  type HttpClient,
  type HttpRequest,
} from "../../http.ts";
import type { VendorContext } from "../types.ts";

export const VENDOR = "crowdstrike";

export interface FalconClientOptions {
  baseUrl: string;
  clientIdEnv: string;
  clientSecretEnv: string;
  memberCid?: string | undefined;
}

const errorBodySchema = z.object({
  errors: z.array(z.object({ code: z.number().nullish(), message: z.string().nullish() })).nullish(),
});

/** errors[0].message of an envelope; undefined when the body is not one. */
export function falconErrorText(body: string): string | undefined {
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data.errors?.[0]?.message || undefined : undefined;
  } catch {
    return undefined;
  }
}

/** `X-RateLimit-RetryAfter` is the epoch second the window reopens, not a delta. */
export function falconRetryAfterMs(response: Response, _body: string, now: number): number | undefined {
  const value = response.headers.get("x-ratelimit-retryafter")?.trim();
  if (!value || !/^\d+(\.\d+)?$/.test(value)) return undefined;
  const seconds = Number(value);
  // A value this small cannot be an epoch second of this century: read it as a delta instead.
  return seconds > 1e9 ? Math.max(0, Math.round(seconds * 1000 - now)) : Math.round(seconds * 1000);
}

/** A response envelope holding `resources` of one shape; only the paging meta is read. */
export const envelope = <T extends z.ZodType>(resource: T) =>
  z.object({
    meta: z
      .object({
        pagination: z
          .object({
            offset: z.union([z.number(), z.string()]).nullish(),
            total: z.number().nullish(),
          })
          .nullish(),
      })
      .nullish(),
    resources: z
      .array(resource)
      .nullish()
      .transform((list): Array<z.output<T>> => list ?? []),
  });

export interface FalconClient {
  http: HttpClient;
  /** The token source, for probes (one token request) and tests (fetch counts). */
  auth: HttpAuth & { fetches(): number };
}

/** The authenticated client; the secrets are read from the environment on first use. */
export function falconClient(options: FalconClientOptions, context: VendorContext): FalconClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  let tokens: TokenAuth | null = null;
  const lazyTokens = () =>
    (tokens ??= createTokenAuth({
      vendor: VENDOR,
      tokenUrl: `${baseUrl}/oauth2/token`,
      form: {
        client_id: requireSecret(context.env[options.clientIdEnv], options.clientIdEnv, VENDOR),
        client_secret: requireSecret(context.env[options.clientSecretEnv], options.clientSecretEnv, VENDOR),
        ...(options.memberCid ? { member_cid: options.memberCid } : {}),
      },
      ...(context.http ? { http: context.http } : {}),
      now: () => context.now().getTime(),
    }));
  const auth: FalconClient["auth"] = {
    async headers(signal) {
      try {
        return await lazyTokens().headers(signal);
      } catch (error) {
        // The token endpoint refuses a wrong client id or secret with 403, which is a refused login here.
        if (error instanceof ToolError && error.code === "FORBIDDEN")
          throw restate(error, "AUTH_FAILED", "token refused");
        throw error;
      }
    },
    invalidate: () => tokens?.invalidate(),
    fetches: () => tokens?.fetches() ?? 0,
  };
  const http = createHttpClient({
    vendor: VENDOR,
    baseUrl,
    auth,
    errorText: falconErrorText,
    retryAfterMs: falconRetryAfterMs,
    ...context.http,
  });
  return { http, auth };
}

/** A FORBIDDEN from an API says which scope the API client is missing, so `triage doctor` can say it too. */
export async function needing<T>(scope: string, promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof ToolError && error.code === "FORBIDDEN")
      throw new ToolError(
        "FORBIDDEN",
        `${VENDOR}: API client lacks ${scope} (${[error.operation, answerOf(error)].filter(Boolean).join(": ")})`,
        error,
      );
    throw error;
  }
}

/**
 * Ids from a query endpoint, following `offset` paging (offset += resources read, until meta.pagination.total)
 * to `limit` and no further. A page without a total is the last.
 */
export async function queryIds(
  http: HttpClient,
  request: Pick<HttpRequest<unknown>, "path" | "query" | "signal">,
  limit: number,
  pageSize = 100,
): Promise<string[]> {
  const ids: string[] = [];
  let offset = 0;
  while (ids.length < limit) {
    const page = await http.json({
      path: request.path,
      query: { ...request.query, offset, limit: Math.min(pageSize, limit - ids.length) },
      schema: envelope(z.string()),
      ...(request.signal ? { signal: request.signal } : {}),
    });
    ids.push(...page.resources);
    offset += page.resources.length;
    const total = page.meta?.pagination?.total;
    if (page.resources.length === 0 || total === undefined || total === null || offset >= total) break;
  }
  return ids.slice(0, limit);
}

/** An ISO timestamp of Falcon's (nanosecond precision) as a millisecond UTC instant. */
export function isoInstant(value: string, what: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new ToolError("BAD_RESPONSE", `${VENDOR}: ${what} is not a timestamp: ${value.slice(0, 60)}`, {
      vendor: VENDOR,
    });
  return new Date(ms).toISOString();
}
