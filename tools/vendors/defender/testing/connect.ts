/** The adapter wired to a running fake, with a recording sleep so retries and polls never really wait. */
import { recordingSleep } from "../../../testing/fake-http.ts";
import { FAKE_SECRET } from "../../microsoft/testing/fake-entra.ts";
import { defenderConfigSchema, defenderVendor } from "../index.ts";
import type { DefenderFake } from "./fake.ts";

export function connectDefender(fake: DefenderFake, overrides: Record<string, unknown> = {}) {
  const sleeper = recordingSleep();
  const config = defenderConfigSchema.parse({ ...fake.config, ...overrides });
  const instance = defenderVendor.create(config, {
    env: { DEFENDER_TEST_SECRET: FAKE_SECRET },
    http: { sleep: sleeper.sleep },
    now: () => new Date("2026-11-03T12:00:00.000Z"),
  });
  return { instance, waits: sleeper.waits };
}
