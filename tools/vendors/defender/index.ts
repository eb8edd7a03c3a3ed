/**
 * Microsoft Defender for Endpoint: alerts, the EDR port (machines, advanced hunting for process trees,
 * alerts as detections) and host isolation, over the MDE API with an Entra ID client-credentials token.
 * App permissions: Alert.Read.All, Machine.Read.All, AdvancedQuery.Read.All, and Machine.Isolate for
 * the isolate action.
 */
import { z } from "zod";
import { orNull } from "../../http.ts";
import { collectPages, microsoftClient, microsoftCredentialsSchema } from "../microsoft/common.ts";
import { afterToken, needing, probeToken } from "../microsoft/probe.ts";
import type { ProbeResult, VendorModule } from "../types.ts";
import { createDefenderActions } from "./actions.ts";
import { createDefenderAlerts, listMdeAlerts } from "./alerts.ts";
import { createDefenderEdr, createProcessResolver } from "./edr.ts";
import { runHunting } from "./hunting.ts";
import { machineSchema } from "./machines.ts";

const VENDOR = "defender";

export const defenderConfigSchema = z.strictObject({
  ...microsoftCredentialsSchema.shape,
  baseUrl: z
    .url()
    .default("https://api.security.microsoft.com")
    .describe(
      "A regional host (eu.api.security.microsoft.com…) or api-gov.securitycenter.microsoft.us for GCC High",
    ),
  scope: z
    .string()
    .regex(/^https?:\/\/\S+\/\.default$/, "a resource scope ending in /.default")
    .default("https://api.securitycenter.microsoft.com/.default")
    .describe("Token scope of the MDE API, whatever the host"),
  isolationType: z.enum(["Full", "Selective"]).default("Full"),
  actionTimeoutSeconds: z
    .number()
    .int()
    .min(10)
    .max(3600)
    .default(600)
    .describe("Longest wait for an isolation"),
  processTreeWindowHours: z
    .number()
    .int()
    .min(1)
    .max(720)
    .default(24)
    .describe("Process creations read either side of the process, for its tree"),
});
export type DefenderConfig = z.infer<typeof defenderConfigSchema>;

export const defenderVendor: VendorModule<DefenderConfig> = {
  name: VENDOR,
  provides: ["alerts", "edr", "actions"],
  configSchema: defenderConfigSchema,
  create(config, context) {
    const client = microsoftClient({
      vendor: VENDOR,
      baseUrl: config.baseUrl,
      scope: config.scope,
      credentials: config,
      context,
    });
    const http = () => client;
    const resolveProcesses = createProcessResolver(VENDOR, http);
    return {
      alerts: createDefenderAlerts({ vendor: VENDOR, http, resolveProcesses }),
      edr: createDefenderEdr({
        vendor: VENDOR,
        http,
        resolveProcesses,
        treeWindowHours: config.processTreeWindowHours,
      }),
      actions: createDefenderActions({
        vendor: VENDOR,
        http,
        isolationType: config.isolationType,
        timeoutMs: config.actionTimeoutSeconds * 1000,
        sleep: context.http?.sleep,
      }),
      async probe(signal) {
        const token = await probeToken(VENDOR, config, config.scope, context, signal);
        const results: ProbeResult[] = [token];
        results.push(
          await afterToken(token, "alerts: list alerts", async () => {
            const alerts = await needing("Alert.Read.All", () =>
              listMdeAlerts(client, { filter: undefined, limit: 1, evidence: false, signal }),
            );
            return alerts.length ? "alerts readable" : "no alerts yet; listing is allowed";
          }),
          await afterToken(token, "edr: list machines", async () => {
            // No machine at all is a 404 on this API.
            const machines = await needing("Machine.Read.All", () =>
              orNull(
                collectPages(client, { path: "/api/machines", query: { $top: 1 } }, machineSchema, {
                  max: 1,
                  ...(signal ? { signal } : {}),
                }),
              ),
            );
            return machines?.length ? "machines readable" : "no machines onboarded; listing is allowed";
          }),
          await afterToken(token, "edr: advanced hunting", async () => {
            await needing("AdvancedQuery.Read.All", () => runHunting(client, "print ok = 1", signal));
            return "hunting queries run";
          }),
        );
        return results;
      },
    };
  },
};
