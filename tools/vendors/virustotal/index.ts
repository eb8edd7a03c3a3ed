/**
 * VirusTotal v3 as a threat-intel vendor: verdicts on file hashes, URLs, domains and IPs (see verdict.ts
 * for the mapping, client.ts for the quota policy).
 */
import { z } from "zod";
import { probeStep, type VendorModule } from "../types.ts";
import { virusTotalClient } from "./client.ts";
import { createVirusTotalIntel } from "./intel.ts";

export const virusTotalConfigSchema = z.strictObject({
  baseUrl: z.url().default("https://www.virustotal.com/api/v3").describe("VirusTotal API v3 base URL"),
  apiKeyEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/)
    .default("VT_API_KEY")
    .describe("Environment variable holding the VirusTotal API key"),
  maliciousEngines: z
    .number()
    .int()
    .min(1)
    .max(50)
    .default(3)
    .describe("Engines saying malicious that make a verdict malicious; fewer make it suspicious"),
});
export type VirusTotalConfig = z.infer<typeof virusTotalConfigSchema>;

/** The EICAR test file: every account can read it, and nearly every engine flags it. */
export const EICAR_SHA256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";

export const virustotalVendor: VendorModule<VirusTotalConfig> = {
  name: "virustotal",
  provides: ["intel"],
  configSchema: virusTotalConfigSchema,
  create(config, context) {
    const http = virusTotalClient(config, context);
    const intel = createVirusTotalIntel(http, {
      maliciousEngines: config.maliciousEngines,
      now: context.now,
    });
    return {
      intel,
      probe: async (signal) => [
        await probeStep("intel: look up the EICAR test file", async () => {
          const verdict = await intel.lookup(
            { type: "file_hash", value: EICAR_SHA256 },
            signal ? { signal } : {},
          );
          return `authenticated; EICAR is ${verdict.verdict}`;
        }),
      ],
    };
  },
};
