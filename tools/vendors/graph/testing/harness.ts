/**
 * The graph vendor wired to a fresh fake Graph, for tests: config pointing at the fake, the secret in a
 * test environment, a recording sleep so throttling never really waits.
 */
import { ToolError } from "../../../../core/errors.ts";
import { recordingSleep } from "../../../testing/fake-http.ts";
import type { MailSearch, ResponseActions } from "../../../../core/ports.ts";
import type { VendorInstance } from "../../types.ts";
import { graphConfigSchema, graphVendor } from "../index.ts";
import { FAKE_CLIENT_ID, FAKE_SECRET, FAKE_TENANT, startFakeGraph, type FakeGraph } from "./fake.ts";
import type { FakeGraphOptions } from "./fake-server.ts";
import type { FakeGraphState } from "./fake-state.ts";

export interface GraphHarness {
  server: FakeGraph;
  instance: VendorInstance;
  mail: MailSearch;
  actions: ResponseActions;
  waits: number[];
  close(): Promise<void>;
}

export function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new ToolError("UNSUPPORTED", `the vendor did not build ${what}`);
  return value;
}

export async function graphHarness(
  options: FakeGraphOptions & {
    state?: FakeGraphState;
    config?: Record<string, unknown>;
    secret?: string;
    now?: () => Date;
  } = {},
): Promise<GraphHarness> {
  const server = await startFakeGraph(options);
  const sleeper = recordingSleep();
  const config = graphConfigSchema.parse({
    tenantId: FAKE_TENANT,
    clientId: FAKE_CLIENT_ID,
    loginUrl: server.url,
    graphUrl: `${server.url}/v1.0`,
    ...(options.config?.allMailboxes || options.config?.mailboxGroupId
      ? {}
      : { mailboxes: ["ann@corp.test", "bob@corp.test"] }),
    ...options.config,
  });
  const instance = graphVendor.create(config, {
    env: { AZURE_CLIENT_SECRET: options.secret ?? FAKE_SECRET },
    http: { sleep: sleeper.sleep },
    now: options.now ?? (() => new Date("2026-11-03T12:00:00.000Z")),
  });
  return {
    server,
    instance,
    mail: present(instance.mail, "a mail port"),
    actions: present(instance.actions, "an actions port"),
    waits: sleeper.waits,
    close: () => server.close(),
  };
}
