/**
 * Test wiring: a fake started with options, the adapter created against it with a recording sleep, and a
 * contract setup for each port.
 */
import type { ContractSetup } from "../../../contracts/types.ts";
import { FIXTURE } from "../../../lab/testing/fixture.ts";
import { recordingSleep, type FakeRequest } from "../../../testing/fake-http.ts";
import { siemQuerySchema, type SiemEvent, type SiemQueryInput } from "../../../../core/domain.ts";
import { type SiemSearch } from "../../../../core/ports.ts";
import type { FakeDoc } from "./fake-dsl.ts";
import type { VendorContext, VendorInstance } from "../../types.ts";
import { elasticConfigSchema } from "../config.ts";
import { elasticVendor } from "../index.ts";
import { FAKE_API_KEY, startElasticFake, type ElasticFake, type ElasticFakeOptions } from "./fake.ts";
export { toolErrorOf as failure } from "../../../testing/fake-http.ts";

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

/** A siem port over a fresh fake per `start`, with the requests the fake saw. */
export function siemSession() {
  let current: Harness | undefined;
  const session = {
    get harness(): Harness {
      if (!current) throw new Error("start the session first");
      return current;
    },
    async start(...args: Parameters<typeof harness>): Promise<SiemSearch> {
      await session.close();
      current = await harness(...args);
      if (!current.instance.siem) throw new Error("no siem port");
      return current.instance.siem;
    },
    search: (port: SiemSearch, query: Partial<SiemQueryInput>): Promise<SiemEvent[]> =>
      port.searchEvents(siemQuerySchema.parse({ dataset: "signin", ...FIXTURE.window, ...query })),
    sent: (path: string, method = "POST"): FakeRequest[] =>
      (current?.fake.elasticsearch.requests ?? []).filter((r) => r.path === path && r.method === method),
    async close() {
      await current?.fake.close();
      current = undefined;
    },
  };
  return session;
}

/** A DNS event as stored, with a multivalued event.category and dotted keys beside nested ones. */
export const dnsDoc: FakeDoc = {
  _id: "d-1",
  _index: "logs-network.dns-default",
  _source: {
    "@timestamp": "2026-11-03T09:58:00.000Z",
    event: { category: ["network", "dns"] },
    "network.protocol": "dns",
    dns: { question: { name: "evil.test" } },
    source: { ip: "10.0.0.5" },
    tags: [],
  },
};
