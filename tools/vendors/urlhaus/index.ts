/**
 * URLhaus (abuse.ch) as a threat-intel vendor: malware-distribution URLs, the hosts serving them and their
 * payloads (see verdict.ts for the mapping).
 */
import { z } from "zod";
import { probeStep, type VendorModule } from "../types.ts";
import { urlhausClient } from "./client.ts";
import { createUrlhausIntel } from "./intel.ts";

export const urlhausConfigSchema = z.strictObject({
  baseUrl: z.url().default("https://urlhaus-api.abuse.ch/v1").describe("URLhaus API base URL"),
  authKeyEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/)
    .default("URLHAUS_AUTH_KEY")
    .describe(
      "Environment variable holding the abuse.ch Auth-Key (one key serves URLhaus, ThreatFox, MalwareBazaar)",
    ),
});
export type UrlhausConfig = z.infer<typeof urlhausConfigSchema>;

const PROBE_HOST = "example.com";

export const urlhausVendor: VendorModule<UrlhausConfig> = {
  name: "urlhaus",
  provides: ["intel"],
  configSchema: urlhausConfigSchema,
  create(config, context) {
    const intel = createUrlhausIntel(urlhausClient(config, context), config);
    return {
      intel,
      probe: async (signal) => [
        await probeStep(`intel: look up host ${PROBE_HOST}`, async () => {
          const verdict = await intel.lookup({ type: "domain", value: PROBE_HOST }, signal ? { signal } : {});
          return `authenticated; ${PROBE_HOST} is ${verdict.verdict}`;
        }),
      ],
    };
  },
};
