/**
 * The entra vendor wired to a fresh fake Graph, for tests: config pointing at the fake (tags mapped from
 * the fixture's VIP group), the secret in a test environment, a recording sleep.
 */
import { recordingSleep } from "../../../testing/fake-http.ts";
import type { Identity, ResponseActions } from "../../../../core/ports.ts";
import { present } from "../../graph/testing/harness.ts";
import {
  FAKE_CLIENT_ID,
  FAKE_SECRET,
  FAKE_TENANT,
  type FakeGraph,
  type FakeGraphOptions,
} from "../../graph/testing/fake-server.ts";
import type { FakeGraphState } from "../../graph/testing/fake-state.ts";
import type { VendorInstance } from "../../types.ts";
import { entraConfigSchema, entraVendor } from "../index.ts";
import { startFakeEntra } from "./fake.ts";

export const NOW = new Date("2026-11-03T12:00:00.000Z");

export interface EntraHarness {
  server: FakeGraph;
  instance: VendorInstance;
  identity: Identity;
  actions: ResponseActions;
  waits: number[];
  close(): Promise<void>;
}

export async function entraHarness(
  options: FakeGraphOptions & { state?: FakeGraphState; config?: Record<string, unknown> } = {},
): Promise<EntraHarness> {
  const server = await startFakeEntra(options);
  const sleeper = recordingSleep();
  const config = entraConfigSchema.parse({
    tenantId: FAKE_TENANT,
    clientId: FAKE_CLIENT_ID,
    loginUrl: server.url,
    graphUrl: `${server.url}/v1.0`,
    tags: { groups: { "group-vip": ["vip"] } },
    ...options.config,
  });
  const instance = entraVendor.create(config, {
    env: { AZURE_CLIENT_SECRET: FAKE_SECRET },
    http: { sleep: sleeper.sleep },
    now: () => NOW,
  });
  return {
    server,
    instance,
    identity: present(instance.identity, "an identity port"),
    actions: present(instance.actions, "an actions port"),
    waits: sleeper.waits,
    close: () => server.close(),
  };
}
