import { describeIdentityContract } from "../../contracts/identity.contract.ts";
import { describeResponseActionsContract } from "../../contracts/response-actions.contract.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { entraHarness } from "./testing/harness.ts";

describeIdentityContract("entra", async () => {
  const h = await entraHarness();
  return { port: h.identity, fixture: FIXTURE, teardown: h.close };
});

describeResponseActionsContract("entra", async () => {
  const h = await entraHarness();
  return { port: h.actions, fixture: FIXTURE, teardown: h.close };
});
