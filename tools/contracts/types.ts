import type { LabFixture } from "../lab/testing/fixture.ts";

/**
 * What a contract suite is given: a fresh port loaded with the facts of tools/lab/testing/fixture.ts (the
 * lab from its tables, a vendor adapter through its fake server), those facts, and a cleanup. The suites
 * read every expected value from `fixture`, never from the lab, so any adapter can be held to them.
 */
export interface ContractSetup<P> {
  port: P;
  fixture: LabFixture;
  teardown?: () => void | Promise<void>;
}
