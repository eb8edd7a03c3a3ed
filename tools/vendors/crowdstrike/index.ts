/**
 * CrowdStrike Falcon: alerts (the Alerts API), EDR (hosts, detections, ThreatGraph process trees) and
 * network containment, all through one OAuth2 API client whose scopes decide what works:
 * Alerts:read, Hosts:read, Hosts:write (containment), Threatgraph:read (process trees) and, with
 * hostGroupTags, Host groups:read.
 */
import { z } from "zod";
import { probeStep, type ProbeResult, type VendorModule } from "../types.ts";
import { createFalconActions } from "./actions.ts";
import { createFalconAlertSource } from "./alerts.ts";
import { envelope, falconClient, needing, VENDOR } from "./client.ts";
import { createFalconEdr } from "./edr.ts";

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name");

export const crowdstrikeConfigSchema = z.strictObject({
  baseUrl: z
    .url()
    .default("https://api.crowdstrike.com")
    .describe(
      "API base of the cloud: api.us-2.crowdstrike.com, api.eu-1.crowdstrike.com, api.laggar.gcw.crowdstrike.com…",
    ),
  clientIdEnv: envName.default("FALCON_CLIENT_ID").describe("Environment variable holding the API client id"),
  clientSecretEnv: envName
    .default("FALCON_CLIENT_SECRET")
    .describe("Environment variable holding the API client secret"),
  memberCid: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/)
    .optional()
    .describe("Child CID to act in, for Flight Control (MSSP) parents"),
  alertFilter: z
    .string()
    .min(1)
    .optional()
    .describe("FQL ANDed to the alert listing, e.g. product:'epp'+severity:>=50"),
  hostGroupTags: z
    .boolean()
    .default(false)
    .describe("Add host group names to host tags (needs Host groups:read)"),
  containTimeoutMs: z
    .number()
    .int()
    .min(1_000)
    .max(900_000)
    .default(120_000)
    .describe("Longest wait for a host to report contained"),
});
export type CrowdStrikeConfig = z.infer<typeof crowdstrikeConfigSchema>;

const countOf = envelope(z.string());

export const crowdstrikeVendor: VendorModule<CrowdStrikeConfig> = {
  name: VENDOR,
  provides: ["alerts", "edr", "actions"],
  configSchema: crowdstrikeConfigSchema,
  create(config, context) {
    const { http, auth } = falconClient(config, context);
    const total = async (path: string, scope: string, what: string, signal?: AbortSignal) => {
      const page = await needing(
        scope,
        http.json({ path, query: { limit: 1 }, schema: countOf, ...(signal ? { signal } : {}) }),
      );
      return `${page.meta?.pagination?.total ?? page.resources.length} ${what} visible`;
    };
    return {
      alerts: createFalconAlertSource(http, { extraFilter: config.alertFilter }),
      edr: createFalconEdr(http, { hostGroupTags: config.hostGroupTags }),
      actions: createFalconActions(http, {
        containTimeoutMs: config.containTimeoutMs,
        sleep: context.http?.sleep,
      }),
      async probe(signal): Promise<ProbeResult[]> {
        const token = await probeStep(`${VENDOR}: API token`, async () => {
          await auth.headers(signal);
          return "client credentials accepted";
        });
        // Without a token every other check fails the same way: one line says it.
        if (!token.ok) return [token];
        return [
          token,
          await probeStep("edr: query hosts", () =>
            total("/devices/queries/devices/v1", "Hosts:read", "hosts", signal),
          ),
          await probeStep("alerts: query alerts", () =>
            total("/alerts/queries/alerts/v2", "Alerts:read", "alerts", signal),
          ),
          await probeStep("edr: process trees (ThreatGraph)", async () => {
            await needing(
              "Threatgraph:read",
              http.json({
                path: "/threatgraph/queries/edge-types/v1",
                schema: countOf,
                ...(signal ? { signal } : {}),
              }),
            );
            return "ThreatGraph readable";
          }),
        ];
      },
    };
  },
};
