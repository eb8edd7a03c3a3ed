import { describe, expect, it } from "vitest";
import { describeMailContract } from "../../contracts/mail.contract.ts";
import { describeResponseActionsContract } from "../../contracts/response-actions.contract.ts";
import { FIXTURE, type LabFixture } from "../../lab/testing/fixture.ts";
import { graphHarness } from "./testing/harness.ts";

/**
 * The fixture with the inbox rule's creation time removed: Graph's messageRule has no creation time, so
 * the port honestly answers `createdAt: null` and the contract's rule comparison cannot hold otherwise.
 * Every other fact is the contract's own. (Reported to the lead: the contract should compare createdAt only
 * where a vendor knows it.)
 */
const FIXTURE_WITHOUT_RULE_TIMES = {
  ...FIXTURE,
  rule: { ...FIXTURE.rule, createdAt: null },
} as unknown as LabFixture;

describeMailContract("graph", async () => {
  const h = await graphHarness();
  return { port: h.mail, fixture: FIXTURE_WITHOUT_RULE_TIMES, teardown: h.close };
});

describeResponseActionsContract("graph", async () => {
  const h = await graphHarness();
  return { port: h.actions, fixture: FIXTURE, teardown: h.close };
});

describe("graph contract deviations", () => {
  it("lists the fixture rule with every field but its creation time, which Graph does not keep", async () => {
    const h = await graphHarness();
    try {
      expect(await h.mail.listInboxRules(FIXTURE.rule.mailbox)).toEqual([
        { ...FIXTURE.rule, createdAt: null },
      ]);
    } finally {
      await h.close();
    }
  });
});
