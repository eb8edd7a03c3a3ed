import { describeAlertSourceContract } from "../../contracts/alert-source.contract.ts";
import { describeEdrContract } from "../../contracts/edr.contract.ts";
import { describeResponseActionsContract } from "../../contracts/response-actions.contract.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { connectDefender } from "./testing/connect.ts";
import { startDefenderFake } from "./testing/fake.ts";
import { fixtureAlerts } from "./testing/seed.ts";

// Defender's alerts are both the alert source and the EDR's detections; each suite gets the world it
// describes: the fixture alerts for the alert source, the host's detections for the EDR.
describeAlertSourceContract("defender", async () => {
  const fake = await startDefenderFake({ alerts: fixtureAlerts() });
  return { port: connectDefender(fake).instance.alerts!, fixture: FIXTURE, teardown: () => fake.close() };
});

describeEdrContract("defender", async () => {
  const fake = await startDefenderFake();
  return { port: connectDefender(fake).instance.edr!, fixture: FIXTURE, teardown: () => fake.close() };
});

describeResponseActionsContract("defender", async () => {
  const fake = await startDefenderFake();
  return { port: connectDefender(fake).instance.actions!, fixture: FIXTURE, teardown: () => fake.close() };
});
