/**
 * AbuseIPDB v2 as a threat-intel vendor: community abuse reports on IP addresses (see verdict.ts for the
 * mapping, client.ts for the throttling policy).
 */
import { z } from "zod";
import { probeStep, type VendorModule } from "../types.ts";
import { abuseIpdbClient } from "./client.ts";
import { checkIp, createAbuseIpdbIntel } from "./intel.ts";

export const abuseIpdbConfigSchema = z
  .strictObject({
    baseUrl: z.url().default("https://api.abuseipdb.com/api/v2").describe("AbuseIPDB API v2 base URL"),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/)
      .default("ABUSEIPDB_API_KEY")
      .describe("Environment variable holding the AbuseIPDB API key"),
    maxAgeInDays: z.number().int().min(1).max(365).default(90).describe("Only reports this recent count"),
    maliciousScore: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(75)
      .describe("Abuse confidence score from which a reported IP is malicious"),
    suspiciousScore: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(25)
      .describe("Abuse confidence score from which a reported IP is suspicious"),
  })
  .refine((c) => c.suspiciousScore <= c.maliciousScore, {
    message: "suspiciousScore must not exceed maliciousScore",
    path: ["suspiciousScore"],
  });
export type AbuseIpdbConfig = z.infer<typeof abuseIpdbConfigSchema>;

/** Loopback: valid, never reported, so the cheapest authenticated read (one check of the daily quota). */
const PROBE_IP = "127.0.0.1";

export const abuseipdbVendor: VendorModule<AbuseIpdbConfig> = {
  name: "abuseipdb",
  provides: ["intel"],
  configSchema: abuseIpdbConfigSchema,
  create(config, context) {
    const http = abuseIpdbClient(config, context);
    return {
      intel: createAbuseIpdbIntel(http, config),
      probe: async (signal) => [
        await probeStep(`intel: check ${PROBE_IP}`, async () => {
          const { headers } = await checkIp(http, PROBE_IP, config.maxAgeInDays, signal);
          const left = headers.get("x-ratelimit-remaining");
          const limit = headers.get("x-ratelimit-limit");
          return left && limit ? `authenticated; ${left} of ${limit} daily checks left` : "authenticated";
        }),
      ],
    };
  },
};
