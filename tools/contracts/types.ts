/** What a contract suite is given: a fresh port loaded with tools/lab/testing/fixture.ts, and a cleanup. */
export interface ContractSetup<P> {
  port: P;
  teardown?: () => void | Promise<void>;
}
