/**
 * Splunk Enterprise (SIEM search) and Splunk Enterprise Security (notables as the alert source).
 * Probes: who the credentials are (authentication/current-context), then one tiny oneshot search per port.
 */
import { z } from "zod";
import { ToolError } from "../../../core/errors.ts";
import { probeStep, type VendorModule } from "../types.ts";
import { splunkAlerts } from "./alerts.ts";
import { splunkClient, VENDOR } from "./client.ts";
import { resolveDataset, splunkConfigSchema, type SplunkConfig } from "./config.ts";
import { searchRunner } from "./search.ts";
import { splunkSiem } from "./siem.ts";
import { datasetProbe, notableProbe } from "./spl.ts";

export { splunkConfigSchema, type SplunkConfig } from "./config.ts";

const contextSchema = z.object({
  entry: z
    .array(
      z.object({
        content: z.object({ username: z.string(), roles: z.array(z.string()).nullish() }),
      }),
    )
    .min(1),
});

/** A 403 names what the role lacks; Splunk's own text rarely does. */
async function needing<T>(capability: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ToolError && error.code === "FORBIDDEN")
      throw new ToolError("FORBIDDEN", `${error.message} (the role needs ${capability})`, error);
    throw error;
  }
}

export const splunkVendor: VendorModule<SplunkConfig> = {
  name: VENDOR,
  provides: ["alerts", "siem"],
  configSchema: splunkConfigSchema,
  create(config, context) {
    const http = splunkClient(config, context);
    const runner = searchRunner(http, config, context);
    const hoursAgo = (hours: number) => new Date(context.now().getTime() - hours * 3_600_000).toISOString();
    return {
      alerts: splunkAlerts(runner, config),
      siem: splunkSiem(runner, config),
      async probe(signal) {
        const withSignal = signal ? { signal } : {};
        return [
          await probeStep("splunk: authenticate", async () => {
            const body = await http.json({
              path: "/services/authentication/current-context",
              query: { output_mode: "json" },
              schema: contextSchema,
              ...withSignal,
            });
            const { username, roles } = body.entry[0]?.content ?? { username: "?", roles: [] };
            return `signed in as ${username}${roles?.length ? ` (roles: ${roles.join(", ")})` : ""}`;
          }),
          await probeStep("siem: search sign-in events", () =>
            needing("the search capability", async () => {
              const spl = datasetProbe(resolveDataset(config, "signin"), hoursAgo(24), hoursAgo(0));
              const rows = await runner.oneshot(spl, 1, signal);
              return `search allowed; ${rows.length > 0 ? "sign-in events found" : "no sign-in event"} in the last 24 h`;
            }),
          ),
          await probeStep("alerts: read notable events", () =>
            needing("the search capability and read access to the notable index", async () => {
              const spl = notableProbe(config.alerts.search, hoursAgo(24 * 7));
              const rows = await runner.oneshot(spl, 1, signal);
              return `notables readable; ${rows.length > 0 ? "some" : "none"} in the last 7 days`;
            }),
          ),
        ];
      },
    };
  },
};
