/**
 * What Microsoft's APIs (Graph, Log Analytics, Sentinel/ARM, Defender for Endpoint) have in common: Entra ID
 * client-credentials tokens per resource scope, `{error:{code,message}}` error bodies, Retry-After on 429,
 * and paging by following an opaque next link.
 */
import { z } from "zod";
import { microsoftTokenAuth, requireSecret } from "../../auth.ts";
import { createHttpClient, type HttpClient, type VendorQuirks } from "../../http.ts";
import type { VendorContext } from "../types.ts";

/** The credentials block every Microsoft vendor's config has; the secret itself comes from the environment. */
export const microsoftCredentialsSchema = z.object({
  tenantId: z.string().min(1).describe("Entra ID tenant (directory) id"),
  clientId: z.string().min(1).describe("App registration's application (client) id"),
  clientSecretEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/)
    .default("AZURE_CLIENT_SECRET")
    .describe("Environment variable holding the client secret"),
  loginUrl: z
    .url()
    .default("https://login.microsoftonline.com")
    .describe("login.microsoftonline.us for US Gov"),
});
export type MicrosoftCredentials = z.infer<typeof microsoftCredentialsSchema>;

const microsoftErrorSchema = z.object({
  error: z.object({
    code: z.string().nullish(),
    message: z.string().nullish(),
    // Log Analytics puts the reason (a KQL syntax error) here; the outer message is generic.
    innererror: z.object({ message: z.string().nullish() }).nullish(),
  }),
});

/** "Code: message (inner reason)" from a Microsoft error body. */
export function microsoftErrorText(body: string): string | undefined {
  try {
    const parsed = microsoftErrorSchema.safeParse(JSON.parse(body));
    if (!parsed.success) return undefined;
    const { code, message, innererror } = parsed.data.error;
    const text = [code, message].filter(Boolean).join(": ");
    const inner = innererror?.message;
    return (inner && inner !== message ? `${text} (${inner})` : text) || undefined;
  } catch {
    return undefined;
  }
}

/** An authenticated client for one Microsoft resource (its base URL and its token scope). */
export function microsoftClient(options: {
  vendor: string;
  baseUrl: string;
  scope: string;
  credentials: MicrosoftCredentials;
  context: VendorContext;
  /** A code other than the status's default for some of this service's errors. */
  classify?: VendorQuirks["classify"];
}): HttpClient {
  const { credentials, context, vendor } = options;
  const secret = () =>
    requireSecret(context.env[credentials.clientSecretEnv], credentials.clientSecretEnv, vendor);
  let auth: ReturnType<typeof microsoftTokenAuth> | null = null;
  // The secret is read on first use, so a misconfigured vendor fails when (and only if) it is called.
  const lazyAuth = () =>
    (auth ??= microsoftTokenAuth({
      vendor,
      loginUrl: credentials.loginUrl,
      tenantId: credentials.tenantId,
      clientId: credentials.clientId,
      clientSecret: secret(),
      scope: options.scope,
      ...(context.http ? { http: context.http } : {}),
    }));
  return createHttpClient({
    vendor,
    baseUrl: options.baseUrl,
    auth: { headers: (signal) => lazyAuth().headers(signal), invalidate: () => auth?.invalidate() },
    errorText: microsoftErrorText,
    ...(options.classify ? { classify: options.classify } : {}),
    ...context.http,
  });
}

const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({
    value: z.array(item),
    "@odata.nextLink": z.string().nullish(),
    nextLink: z.string().nullish(),
  });

/**
 * Items of a paged Microsoft list: `value[]`, following `@odata.nextLink` (Graph, Defender) or `nextLink`
 * (ARM) verbatim, up to `max` items.
 */
export async function collectPages<T extends z.ZodType>(
  http: HttpClient,
  first: {
    path: string;
    query?: Record<string, string | number | undefined>;
    method?: "GET" | "POST";
    headers?: Record<string, string>;
  },
  item: T,
  options: { max: number; signal?: AbortSignal },
): Promise<Array<z.infer<T>>> {
  const items: Array<z.infer<T>> = [];
  let request: { path: string; query?: Record<string, string | number | undefined> } | null = first;
  while (request && items.length < options.max) {
    const page: z.infer<ReturnType<typeof pageSchema<T>>> = await http.json({
      method: first.method ?? "GET",
      path: request.path,
      ...(request.query ? { query: request.query } : {}),
      ...(first.headers ? { headers: first.headers } : {}),
      schema: pageSchema(item),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    items.push(...page.value);
    const next = page["@odata.nextLink"] ?? page.nextLink;
    request = next ? { path: next } : null;
  }
  return items.slice(0, options.max);
}

/** A value for an OData string literal: single quotes doubled. */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
