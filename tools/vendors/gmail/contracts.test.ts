import { describeMailContract } from "../../contracts/mail.contract.ts";
import { describeResponseActionsContract } from "../../contracts/response-actions.contract.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { gmailUnderTest } from "./testing/harness.ts";

// A fresh fake per suite (per test for actions), seeded from the fixture. One mail test fails by design:
// Gmail filters have no name and no creation time, so the fixture rule's "fw" and createdAt cannot come back.
describeMailContract("gmail", async () => {
  const t = await gmailUnderTest();
  return { port: t.mail, fixture: FIXTURE, teardown: () => t.fake.close() };
});
describeResponseActionsContract("gmail", async () => {
  const t = await gmailUnderTest();
  return { port: t.actions, fixture: FIXTURE, teardown: () => t.fake.close() };
});
