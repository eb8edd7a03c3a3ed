import { describeAlertSourceContract } from "../../contracts/alert-source.contract.ts";
import { describeSiemContract } from "../../contracts/siem.contract.ts";
import type { ContractSetup } from "../../contracts/types.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { portOf, startHarness } from "./testing/harness.ts";

/** A fresh fake per suite, seeded with the fixture; paging (2 rows a page) and polling always on. */
function setup<K extends "alerts" | "siem">(key: K, config: Record<string, unknown> = {}) {
  return async (): Promise<
    ContractSetup<NonNullable<Awaited<ReturnType<typeof startHarness>>["splunk"][K]>>
  > => {
    const harness = await startHarness({ config });
    return { port: portOf(harness, key), fixture: FIXTURE, teardown: harness.close };
  };
}

describeSiemContract("splunk search jobs", setup("siem"));
describeSiemContract("splunk export", setup("siem", { mode: "export" }));
describeAlertSourceContract("splunk notables (search jobs)", setup("alerts"));
describeAlertSourceContract(
  "splunk notables (export, notable macro, app namespace)",
  setup("alerts", { mode: "export", app: "SplunkEnterpriseSecuritySuite", alerts: { search: "`notable`" } }),
);
