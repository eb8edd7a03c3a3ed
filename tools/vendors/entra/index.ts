/**
 * Entra ID through Microsoft Graph: directory users and sign-in logs (the identity port), and revoking
 * sessions or disabling an account (the actions port).
 *
 * Permissions (application): User.Read.All; AuditLog.Read.All with an Entra ID P1/P2 licence for sign-ins;
 * GroupMember.Read.All and RoleManagement.Read.Directory when tags map groups or roles;
 * UserAuthenticationMethod.Read.All for MFA methods; User.RevokeSessions.All and User.ReadWrite.All (or
 * User.EnableDisableAccount.All) for the actions.
 */
import { z } from "zod";
import type { CallOptions } from "../../../core/ports.ts";
import { explainForbidden, graphClient, graphEndpointSchema, tokenCheck } from "../graph/client.ts";
import { microsoftCredentialsSchema } from "../microsoft/common.ts";
import { probeStep, type VendorModule } from "../types.ts";
import { createEntraActions } from "./actions.ts";
import { createSignInLog, toSignIn } from "./sign-ins.ts";
import { createUserReader, userOptionsSchema } from "./users.ts";

export const entraConfigSchema = z.strictObject({
  ...microsoftCredentialsSchema.shape,
  ...graphEndpointSchema,
  ...userOptionsSchema.shape,
  signInScanLimit: z
    .number()
    .int()
    .min(10)
    .max(100_000)
    .default(5000)
    .describe("Most sign-in records read per window before it is halved (oldest-first reads)"),
});
export type EntraConfig = z.infer<typeof entraConfigSchema>;

const VENDOR = "entra";
/** Sign-ins returned when the caller names no limit (the lab's default too). */
const DEFAULT_SIGN_IN_LIMIT = 100;

export const entraVendor: VendorModule<EntraConfig> = {
  name: VENDOR,
  provides: ["identity", "actions"],
  configSchema: entraConfigSchema,
  create(config, context) {
    const http = graphClient(VENDOR, config, context);
    const log = createSignInLog(http, config.signInScanLimit);
    const users = createUserReader({ http, log, options: config, now: context.now });
    return {
      identity: {
        vendor: VENDOR,
        getUser: (upn, options: CallOptions = {}) => users.getUser(upn, options.signal),
        async listSignIns(query, options: CallOptions = {}) {
          const limit = query.limit ?? DEFAULT_SIGN_IN_LIMIT;
          const records = await log.oldest(query.user, query.since, query.until, limit, options.signal);
          return records.map((r) => toSignIn(r, query.user));
        },
      },
      actions: createEntraActions(http),
      async probe(signal) {
        const on = signal ? { signal } : {};
        const token = await probeStep("entra: token", () => tokenCheck(VENDOR, config, context)(signal));
        if (!token.ok) return [token];
        const read = await probeStep("identity: read users", async () => {
          const page = await explainForbidden("missing User.Read.All", () =>
            http.json({
              path: "/users",
              query: { $top: 1, $select: "id" },
              schema: z.object({ value: z.array(z.unknown()) }),
              ...on,
            }),
          );
          // Write permissions (revoke, disable) cannot be checked without changing an account.
          return page.value.length
            ? "users readable; write permissions are checked on first use"
            : "readable, but the directory lists no user";
        });
        const signIns = await probeStep("identity: read sign-in logs", async () => {
          await explainForbidden("missing AuditLog.Read.All, or no Entra ID P1/P2 licence", () =>
            http.json({
              path: "/auditLogs/signIns",
              query: { $top: 1 },
              schema: z.object({ value: z.array(z.unknown()) }),
              ...on,
            }),
          );
          return "sign-in logs readable";
        });
        return [token, read, signIns];
      },
    };
  },
};
