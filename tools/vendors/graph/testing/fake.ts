/**
 * A fake Microsoft Graph for the mail adapter's tests: the Outlook mail routes and the directory (mailbox
 * discovery reads /users and group members), on 127.0.0.1, seeded from the contract fixture unless told
 * otherwise. Knobs (FakeGraphOptions): page size, granted permissions, refused secret, mailboxes an access
 * policy blocks, latency; `inject` for throttling; `close()` for an outage.
 */
import { directoryRoutes } from "../../entra/testing/fake.ts";
import { mailRoutes } from "./fake-mail.ts";
import { startFakeGraphServer, type FakeGraph, type FakeGraphOptions } from "./fake-server.ts";
import { fixtureState, type FakeGraphState } from "./fake-state.ts";

export { FAKE_CLIENT_ID, FAKE_SECRET, FAKE_TENANT, type FakeGraph } from "./fake-server.ts";

export function startFakeGraph(
  options: FakeGraphOptions & { state?: FakeGraphState } = {},
): Promise<FakeGraph> {
  return startFakeGraphServer(options.state ?? fixtureState(), options, [mailRoutes, directoryRoutes]);
}
