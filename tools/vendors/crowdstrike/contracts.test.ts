import { describeAlertSourceContract } from "../../contracts/alert-source.contract.ts";
import { describeEdrContract } from "../../contracts/edr.contract.ts";
import { describeResponseActionsContract } from "../../contracts/response-actions.contract.ts";
import type { ContractSetup } from "../../contracts/types.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import type { VendorPorts } from "../types.ts";
import { fixtureWorld } from "./testing/seed.ts";
import { falconUnderTest } from "./testing/harness.ts";

/** A fresh fake per suite (per test for actions); the alert suite's world holds no host detections. */
function port<K extends "alerts" | "edr" | "actions">(
  key: K,
): () => Promise<ContractSetup<NonNullable<VendorPorts[K]>>> {
  return async () => {
    const { fake, instance } = await falconUnderTest({
      world: fixtureWorld(key === "alerts" ? "alerts" : undefined),
    });
    const value = instance[key];
    if (!value) throw new Error(`no ${key} port`);
    return { port: value, fixture: FIXTURE, teardown: () => fake.close() };
  };
}

describeAlertSourceContract("crowdstrike", port("alerts"));
describeEdrContract("crowdstrike", port("edr"));
describeResponseActionsContract("crowdstrike", port("actions"));
