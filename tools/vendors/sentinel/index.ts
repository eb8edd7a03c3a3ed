/**
 * Microsoft Sentinel as an alert source (incidents over ARM) and Log Analytics as a SIEM (KQL over the
 * workspace), both with Entra ID client-credentials tokens, one per resource scope. Either half can be
 * configured alone: the incident half needs subscriptionId, resourceGroup and workspaceName, the query
 * half needs workspaceId.
 */
import { z } from "zod";
import { ToolError } from "../../../core/errors.ts";
import { microsoftClient, microsoftCredentialsSchema } from "../microsoft/common.ts";
import type { ProbeResult, VendorModule } from "../types.ts";
import { createSentinelAlerts } from "./alerts.ts";
import { runLogAnalyticsQuery } from "./log-analytics.ts";
import { afterToken, needing, probeToken } from "../microsoft/probe.ts";
import { createSentinelSiem } from "./siem.ts";
import { datasetsConfigSchema } from "./siem-tables.ts";

const VENDOR = "sentinel";
const scope = z.string().regex(/^https?:\/\/\S+\/\.default$/, "a resource scope ending in /.default");

export const sentinelConfigSchema = z
  .strictObject({
    ...microsoftCredentialsSchema.shape,
    armUrl: z
      .url()
      .default("https://management.azure.com")
      .describe("management.usgovcloudapi.net for US Gov"),
    armScope: scope.optional().describe("Token scope for ARM; defaults to <armUrl>/.default"),
    subscriptionId: z.string().min(1).optional(),
    resourceGroup: z.string().min(1).optional(),
    workspaceName: z.string().min(1).optional().describe("The Sentinel workspace's name (for incidents)"),
    apiVersion: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/)
      .default("2025-09-01"),
    incidentPageSize: z.number().int().min(1).max(1000).default(100),
    logAnalyticsUrl: z
      .url()
      .default("https://api.loganalytics.io")
      .describe("api.loganalytics.us for US Gov"),
    logAnalyticsScope: scope
      .optional()
      .describe("Token scope for queries; defaults to <logAnalyticsUrl>/.default"),
    workspaceId: z.string().min(1).optional().describe("The workspace's id (a GUID, for queries)"),
    datasets: datasetsConfigSchema.describe("Per dataset: table, time and id columns, ECS field mappings"),
  })
  .superRefine((config, issues) => {
    const arm = [config.subscriptionId, config.resourceGroup, config.workspaceName].filter(Boolean).length;
    if (arm !== 0 && arm !== 3)
      issues.addIssue({
        code: "custom",
        message: "set subscriptionId, resourceGroup and workspaceName together",
      });
    if (arm === 0 && !config.workspaceId)
      issues.addIssue({
        code: "custom",
        message: "set workspaceId (queries) or the incident workspace, or both",
      });
  });
export type SentinelConfig = z.infer<typeof sentinelConfigSchema>;

const defaultScope = (url: string) => `${new URL(url).origin}/.default`;

export const sentinelVendor: VendorModule<SentinelConfig> = {
  name: VENDOR,
  provides: ["alerts", "siem"],
  configSchema: sentinelConfigSchema,
  create(config, context) {
    const armScope = config.armScope ?? defaultScope(config.armUrl);
    const queryScope = config.logAnalyticsScope ?? defaultScope(config.logAnalyticsUrl);
    const arm = microsoftClient({
      vendor: VENDOR,
      baseUrl: config.armUrl,
      scope: armScope,
      credentials: config,
      context,
    });
    const logs = microsoftClient({
      vendor: VENDOR,
      baseUrl: config.logAnalyticsUrl,
      scope: queryScope,
      credentials: config,
      context,
    });
    const notConfigured = (what: string) =>
      new ToolError("BAD_INPUT", `${VENDOR}: ${what} is not configured`, { vendor: VENDOR });
    const { subscriptionId, resourceGroup, workspaceName, workspaceId } = config;
    const basePath = () => {
      if (!subscriptionId || !resourceGroup || !workspaceName)
        throw notConfigured("the incident workspace (subscriptionId, resourceGroup, workspaceName)");
      const e = encodeURIComponent;
      return `/subscriptions/${e(subscriptionId)}/resourceGroups/${e(resourceGroup)}/providers/Microsoft.OperationalInsights/workspaces/${e(workspaceName)}/providers/Microsoft.SecurityInsights`;
    };
    const queryWorkspace = () => {
      if (!workspaceId) throw notConfigured("workspaceId");
      return workspaceId;
    };

    return {
      alerts: createSentinelAlerts({
        vendor: VENDOR,
        http: () => arm,
        basePath,
        apiVersion: config.apiVersion,
        pageSize: config.incidentPageSize,
      }),
      siem: createSentinelSiem({
        vendor: VENDOR,
        http: () => logs,
        workspaceId: queryWorkspace,
        datasets: config.datasets,
      }),
      async probe(signal) {
        const results: ProbeResult[] = [];
        const onSignal = signal ? { signal } : {};
        if (subscriptionId && resourceGroup && workspaceName) {
          const token = await probeToken(VENDOR, config, armScope, context, signal);
          results.push(
            token,
            await afterToken(token, "alerts: list incidents", async () => {
              const page = await needing("Microsoft Sentinel Reader (role on the workspace)", () =>
                arm.json({
                  path: `${basePath()}/incidents`,
                  query: { "api-version": config.apiVersion, $top: 1 },
                  schema: z.object({ value: z.array(z.unknown()) }),
                  ...onSignal,
                }),
              );
              return page.value.length ? "incidents readable" : "no incidents yet; listing is allowed";
            }),
          );
        }
        if (workspaceId) {
          const token = await probeToken(VENDOR, config, queryScope, context, signal);
          results.push(
            token,
            await afterToken(token, "siem: run a query", async () => {
              await needing("Log Analytics Reader (role on the workspace)", () =>
                runLogAnalyticsQuery(logs, { workspaceId, query: "print ok = 1", ...onSignal }),
              );
              return "queries run";
            }),
          );
        }
        return results;
      },
    };
  },
};
