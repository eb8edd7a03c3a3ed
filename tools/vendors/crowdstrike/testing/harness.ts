/** The adapter wired to a fresh fake, with a recording sleep so throttles and polls never really wait. */
import { recordingSleep } from "../../../testing/fake-http.ts";
import type { VendorContext } from "../../types.ts";
import { crowdstrikeConfigSchema, crowdstrikeVendor } from "../index.ts";
import { FAKE_CLIENT_ID, FAKE_CLIENT_SECRET, startFalconFake, type FalconFakeOptions } from "./fake.ts";

export const FAKE_ENV = { FALCON_CLIENT_ID: FAKE_CLIENT_ID, FALCON_CLIENT_SECRET: FAKE_CLIENT_SECRET };

export async function falconUnderTest(
  options: FalconFakeOptions = {},
  config: Record<string, unknown> = {},
  context: Partial<VendorContext> = {},
) {
  const fake = await startFalconFake(options);
  const sleeper = recordingSleep();
  const instance = crowdstrikeVendor.create(crowdstrikeConfigSchema.parse({ baseUrl: fake.url, ...config }), {
    env: FAKE_ENV,
    http: { sleep: sleeper.sleep },
    now: () => new Date(),
    ...context,
  });
  return { fake, instance, waits: sleeper.waits };
}
