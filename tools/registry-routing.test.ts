/**
 * Action routing with the lab last: with mail on Graph and EDR and identity left on the lab, a quarantine
 * goes to Graph (the real vendor module against its fake server), while what only the lab runs stays there.
 */
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createLabToolset } from "./lab/index.ts";
import { createFixtureLab, FIXTURE } from "./lab/testing/fixture.ts";
import { createToolset, integrationsSchema } from "./registry.ts";
import { proposedActionSchema } from "../core/domain.ts";
import { graphVendor } from "./vendors/graph/index.ts";
import {
  FAKE_CLIENT_ID,
  FAKE_SECRET,
  FAKE_TENANT,
  startFakeGraph,
  type FakeGraph,
} from "./vendors/graph/testing/fake.ts";

let server: FakeGraph | undefined;
afterEach(async () => server?.close());

const countRow = z.object({ n: z.number() });

describe("action routing by capability, lab last", () => {
  it("sends an approved quarantine to Graph when mail is on Graph and EDR and identity are on the lab", async () => {
    server = await startFakeGraph();
    const lab = createFixtureLab();
    const { tools } = createToolset(
      integrationsSchema.parse({
        edr: "lab",
        mail: "graph",
        identity: "lab",
        vendors: {
          graph: {
            tenantId: FAKE_TENANT,
            clientId: FAKE_CLIENT_ID,
            loginUrl: server.url,
            graphUrl: `${server.url}/v1.0`,
            mailboxes: ["ann@corp.test", "bob@corp.test"],
          },
        },
      }),
      {
        lab: () => createLabToolset(lab),
        modules: [graphVendor],
        context: { env: { AZURE_CLIENT_SECRET: FAKE_SECRET }, now: () => new Date("2026-11-03T12:00:00Z") },
      },
    );
    // The default order is EDR, mail, identity: the lab was listed first, and must still come last.
    expect(tools.actions.vendor).toBe("graph+lab");
    const quarantine = proposedActionSchema.parse({
      id: "act-1",
      type: "quarantine_message",
      target: FIXTURE.messageId,
      targetKind: "message",
      blastRadius: 2,
      reason: "approved phish",
    });
    const done = await tools.actions.execute(quarantine, { idempotencyKey: "k-quarantine" });
    expect(done.outcome).toBe("executed");
    expect(server.requests.filter((r) => r.path.endsWith("/move"))).toHaveLength(2);
    const labRuns = countRow.parse(lab.prepare("SELECT COUNT(*) AS n FROM action_log").get()).n;
    expect(labRuns).toBe(0);

    // Isolation is no mail action: Graph does not run it, so the lab (the configured EDR) does.
    const isolate = proposedActionSchema.parse({
      id: "act-2",
      type: "isolate_host",
      target: FIXTURE.host.hostname,
      targetKind: "host",
      blastRadius: 1,
      reason: "test",
    });
    await tools.actions.execute(isolate, { idempotencyKey: "k-isolate" });
    expect(countRow.parse(lab.prepare("SELECT COUNT(*) AS n FROM action_log").get()).n).toBe(1);
  });
});
