/** The adapter wired to a fake, with a recording sleep so throttling tests never wait. */
import { recordingSleep } from "../../../testing/fake-http.ts";
import type { ThreatIntel } from "../../../../core/ports.ts";
import { abuseipdbVendor, type AbuseIpdbConfig } from "../index.ts";

export function abuseIpdbAdapter(
  fake: { baseUrl: string; apiKey: string },
  options: {
    env?: Record<string, string | undefined>;
    config?: Partial<AbuseIpdbConfig>;
    retries?: number;
  } = {},
) {
  const sleeper = recordingSleep();
  const instance = abuseipdbVendor.create(
    abuseipdbVendor.configSchema.parse({ baseUrl: fake.baseUrl, ...options.config }),
    {
      env: options.env ?? { ABUSEIPDB_API_KEY: fake.apiKey },
      now: () => new Date("2026-11-03T10:00:00Z"),
      http: {
        sleep: sleeper.sleep,
        ...(options.retries === undefined ? {} : { retry: { retries: options.retries } }),
      },
    },
  );
  const intel: ThreatIntel | undefined = instance.intel;
  if (!intel) throw new Error("abuseipdb serves intel");
  return { instance, intel, waits: sleeper.waits };
}
