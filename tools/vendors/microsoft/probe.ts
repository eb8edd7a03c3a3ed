/**
 * Probe steps shared by the Microsoft security vendors: a token per scope (so a refused secret is one clear
 * line), and a read whose 403 names the permission or role the app registration lacks.
 */
import { microsoftTokenAuth, requireSecret } from "../../auth.ts";
import { ToolError } from "../../../core/errors.ts";
import type { MicrosoftCredentials } from "./common.ts";
import { probeStep, type ProbeResult, type VendorContext } from "../types.ts";

/** "auth: token for <scope>": one client-credentials grant, nothing else. */
export function probeToken(
  vendor: string,
  credentials: MicrosoftCredentials,
  scope: string,
  context: VendorContext,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  return probeStep(`auth: token for ${scope}`, async () => {
    const auth = microsoftTokenAuth({
      vendor,
      loginUrl: credentials.loginUrl,
      tenantId: credentials.tenantId,
      clientId: credentials.clientId,
      clientSecret: requireSecret(
        context.env[credentials.clientSecretEnv],
        credentials.clientSecretEnv,
        vendor,
      ),
      scope,
      ...(context.http ? { http: context.http } : {}),
    });
    await auth.headers(signal);
    return "token issued";
  });
}

/** Runs a read; a 403 becomes "missing permission <what>: <vendor's words>". */
export async function needing<T>(permission: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ToolError && error.code === "FORBIDDEN")
      throw new ToolError("FORBIDDEN", `missing permission ${permission}: ${error.message}`, error);
    throw error;
  }
}

/** A check that only makes sense with a token: skipped (failed, saying why) when the token was refused. */
export function afterToken(
  token: ProbeResult,
  check: string,
  run: () => Promise<string>,
): Promise<ProbeResult> {
  if (!token.ok) return Promise.resolve({ check, ok: false, detail: "not checked: no token (see above)" });
  return probeStep(check, run);
}
