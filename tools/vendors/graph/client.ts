/**
 * What the Graph mail and Entra ID adapters share: a Graph client per vendor (Entra client-credentials
 * token for the Graph scope, through microsoft/common.ts), path segments built safely from untrusted user
 * keys and ids, the doctor's token check, and the hint a probe adds to a 403.
 */
import { z } from "zod";
import { microsoftTokenAuth, requireSecret } from "../../auth.ts";
import { isToolError, ToolError } from "../../../core/errors.ts";
import type { HttpClient } from "../../http.ts";
import { microsoftClient, type MicrosoftCredentials } from "../microsoft/common.ts";
import type { VendorContext } from "../types.ts";

/** The config fields every Graph-based vendor adds to the Microsoft credentials. */
export const graphEndpointSchema = {
  graphUrl: z
    .url()
    .default("https://graph.microsoft.com/v1.0")
    .describe("Graph base URL with its version; https://graph.microsoft.us/v1.0 for US Gov"),
  graphScope: z
    .url()
    .default("https://graph.microsoft.com/.default")
    .describe("Token scope; https://graph.microsoft.us/.default for US Gov"),
};

export type GraphSettings = MicrosoftCredentials & { graphUrl: string; graphScope: string };

export function graphClient(vendor: string, config: GraphSettings, context: VendorContext): HttpClient {
  return microsoftClient({
    vendor,
    baseUrl: config.graphUrl,
    scope: config.graphScope,
    credentials: config,
    context,
  });
}

/**
 * One path segment from an untrusted value, percent-encoded. "", "." and ".." are refused: URL parsing
 * would resolve them and the request would reach another resource.
 */
export function pathSegment(value: string, what: string, vendor: string): string {
  if (value === "" || value === "." || value === "..")
    throw new ToolError("BAD_INPUT", `${vendor}: ${JSON.stringify(value)} is not a valid ${what}`, {
      vendor,
    });
  return encodeURIComponent(value);
}

/**
 * `/users/{upn}`, or `/users('{upn}')` when the UPN starts with "$": Graph would read `/users/$x` as a
 * system segment, and its documented way out is the key-in-parentheses form.
 */
export function userPath(upn: string, vendor: string): string {
  if (upn.startsWith("$")) return `/users('${encodeURIComponent(upn.replace(/'/g, "''"))}')`;
  return `/users/${pathSegment(upn, "user", vendor)}`;
}

/** The doctor's first line: can we get a token at all? A fresh token grant, separate from the ports'. */
export function tokenCheck(
  vendor: string,
  config: GraphSettings,
  context: VendorContext,
): (signal?: AbortSignal) => Promise<string> {
  return async (signal) => {
    const auth = microsoftTokenAuth({
      vendor,
      loginUrl: config.loginUrl,
      tenantId: config.tenantId,
      clientId: config.clientId,
      clientSecret: requireSecret(context.env[config.clientSecretEnv], config.clientSecretEnv, vendor),
      scope: config.graphScope,
      ...(context.http ? { http: context.http } : {}),
    });
    await auth.headers(signal);
    return `token issued for ${config.graphScope}`;
  };
}

/** A probe's call, with what a 403 most likely means (the missing permission) added to its one line. */
export async function explainForbidden<T>(hint: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isToolError(error) && error.code === "FORBIDDEN")
      throw new ToolError(error.code, `${error.message} (${hint})`, error);
    throw error;
  }
}

/** An ISO timestamp from a caller (untrusted), checked: it is spliced into an OData filter unquoted. */
export function instant(value: string, what: string, vendor: string): Date {
  const parsed = z.iso.datetime({ offset: true }).safeParse(value);
  const at = parsed.success ? new Date(parsed.data) : null;
  if (!at || Number.isNaN(at.getTime()))
    throw new ToolError("BAD_INPUT", `${vendor}: ${what} is not an ISO 8601 timestamp: ${value}`, { vendor });
  return at;
}

/** A Graph timestamp (seconds to 100 ns precision) in our form: milliseconds, UTC, `Z`. */
export function isoOf(value: string): string {
  return new Date(value).toISOString();
}
