import { describe, expect, it } from "vitest";
import { describeMailContract } from "../../contracts/mail.contract.ts";
import { describeResponseActionsContract } from "../../contracts/response-actions.contract.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { gmailUnderTest } from "./testing/harness.ts";

const MODIFY = "https://www.googleapis.com/auth/gmail.modify";
const SETTINGS = "https://www.googleapis.com/auth/gmail.settings.basic";

// A fresh fake per suite (per test for actions), seeded from the fixture. One mail test fails by design:
// a Gmail filter has no name, so the fixture rule's name "fw" cannot come back (see the deviation below).
// A Gmail filter has no name: the port describes its criteria instead.
describeMailContract(
  "gmail",
  async () => {
    const t = await gmailUnderTest();
    return { port: t.mail, fixture: FIXTURE, teardown: () => t.fake.close() };
  },
  { ruleNames: false },
);

describeResponseActionsContract("gmail", async () => {
  const t = await gmailUnderTest();
  return { port: t.actions, fixture: FIXTURE, teardown: () => t.fake.close() };
});

// With filter settings delegated, remove_inbox_rule joins quarantine_message.
describeResponseActionsContract("gmail (filter settings delegated)", async () => {
  const t = await gmailUnderTest({}, { auth: { type: "service_account", scopes: [MODIFY, SETTINGS] } });
  return { port: t.actions, fixture: FIXTURE, teardown: () => t.fake.close() };
});

describe("gmail contract deviations", () => {
  it("lists the fixture rule with every field but its name (described from the criteria) and creation time", async () => {
    const t = await gmailUnderTest();
    try {
      expect(await t.mail.listInboxRules(FIXTURE.rule.mailbox)).toEqual([
        { ...FIXTURE.rule, name: "Gmail filter: every message", createdAt: null },
      ]);
    } finally {
      await t.fake.close();
    }
  });
});
