/**
 * Test wiring: a fake started with options, the adapter created against it with a recording sleep, and a
 * contract setup for each port.
 */
import type { ContractSetup } from "../../../contracts/types.ts";
import { FIXTURE } from "../../../lab/testing/fixture.ts";
import { recordingSleep } from "../../../testing/fake-http.ts";
import type { VendorContext, VendorInstance } from "../../types.ts";
import { elasticConfigSchema } from "../config.ts";
import { elasticVendor } from "../index.ts";
import { FAKE_API_KEY, startElasticFake, type ElasticFake, type ElasticFakeOptions } from "./fake.ts";

export interface Harness {
  fake: ElasticFake;
  instance: VendorInstance;
  waits: number[];
}

/** The fake and an adapter configured for it; `config` is the user's block (URLs filled in). */
export async function harness(
  config: Record<string, unknown> = {},
  fakeOptions: ElasticFakeOptions = {},
  env: Record<string, string | undefined> = { ELASTIC_API_KEY: FAKE_API_KEY },
  http: NonNullable<VendorContext["http"]> = {},
): Promise<Harness> {
  const fake = await startElasticFake(fakeOptions);
  const sleeper = recordingSleep();
  const parsed = elasticConfigSchema.parse({
    elasticsearchUrl: fake.elasticsearch.url,
    kibanaUrl: fake.kibana.url,
    ...config,
  });
  const instance = elasticVendor.create(parsed, {
    env,
    http: { sleep: sleeper.sleep, ...http },
    now: () => new Date(),
  });
  return { fake, instance, waits: sleeper.waits };
}

export function contractSetup<K extends "alerts" | "siem">(
  key: K,
  config: Record<string, unknown> = {},
): () => Promise<ContractSetup<NonNullable<VendorInstance[K]>>> {
  return async () => {
    const { fake, instance } = await harness(config);
    const port = instance[key];
    if (!port) throw new Error(`the adapter serves no ${key} port`);
    return { port, fixture: FIXTURE, teardown: () => fake.close() };
  };
}
