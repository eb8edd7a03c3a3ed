/** The adapter wired to a running fake, with a recording sleep so retries and polls never really wait. */
import { recordingSleep } from "../../../testing/fake-http.ts";
import { sentinelConfigSchema, sentinelVendor } from "../index.ts";
import { FAKE_SECRET } from "../../microsoft/testing/fake-entra.ts";
import type { SentinelFake } from "./fake.ts";

export function connectSentinel(fake: SentinelFake, overrides: Record<string, unknown> = {}) {
  const sleeper = recordingSleep();
  const config = sentinelConfigSchema.parse({ ...fake.config, ...overrides });
  const instance = sentinelVendor.create(config, {
    env: { SENTINEL_TEST_SECRET: FAKE_SECRET },
    http: { sleep: sleeper.sleep },
    now: () => new Date("2026-11-03T12:00:00.000Z"),
  });
  return { instance, waits: sleeper.waits };
}
