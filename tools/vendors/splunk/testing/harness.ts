/**
 * Test wiring: a fake Splunk and the vendor module built against it with a recording sleep, so polls and
 * retries never really wait.
 */
import type { RetryOptions } from "../../../http.ts";
import { recordingSleep } from "../../../testing/fake-http.ts";
import type { VendorInstance } from "../../types.ts";
import { splunkConfigSchema, splunkVendor } from "../index.ts";
import { startFakeSplunk, type FakeSplunk, type FakeSplunkOptions } from "./fake.ts";

export interface Harness {
  fake: FakeSplunk;
  splunk: VendorInstance;
  waits: number[];
  close(): Promise<void>;
}

/** `config` is the user's block without baseUrl; `env` defaults to the fake's token in SPLUNK_TOKEN. */
export async function startHarness(
  options: {
    fake?: FakeSplunkOptions;
    config?: Record<string, unknown>;
    env?: Record<string, string>;
    retry?: Partial<RetryOptions>;
  } = {},
): Promise<Harness> {
  const fake = await startFakeSplunk(options.fake);
  const sleeper = recordingSleep();
  const config = splunkConfigSchema.parse({ baseUrl: fake.url, ...options.config });
  const splunk = splunkVendor.create(config, {
    env: options.env ?? { SPLUNK_TOKEN: fake.token },
    http: { sleep: sleeper.sleep, ...(options.retry ? { retry: options.retry } : {}) },
    now: () => new Date("2026-11-03T12:00:00.000Z"),
  });
  return { fake, splunk, waits: sleeper.waits, close: () => fake.close() };
}

/** The port, or a failure naming what is missing (the module always serves both). */
export function portOf<K extends "alerts" | "siem">(
  harness: Harness,
  key: K,
): NonNullable<VendorInstance[K]> {
  const port = harness.splunk[key];
  if (!port) throw new Error(`splunk serves no ${key}`);
  return port;
}

/** The forms of the searches the fake ran, by field. */
export const searchesOf = (fake: FakeSplunk) => fake.searches.map((form) => Object.fromEntries(form));

/** The requests of one kind, e.g. GET …/results. */
export const requestsTo = (fake: FakeSplunk, method: string, suffix: RegExp) =>
  fake.requests.filter((r) => r.method === method && suffix.test(r.path));
