/**
 * The generic intel contract against AbuseIPDB through its fake. One test is expected to FAIL, for a real
 * reason, and the contract is deliberately left as it is: "matches a value case-insensitively" looks up the
 * fixture's domain (EVIL.TEST) and expects "malicious", but AbuseIPDB has no domain data at all, so the
 * adapter honestly answers "unknown". The other three tests pass (the known IP with score 90 and tag
 * hosting; type matching; never-seen values).
 */
import { describeIntelContract } from "../../contracts/intel.contract.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { abuseIpdbAdapter } from "./testing/adapter.ts";
import { startAbuseIpdbFake } from "./testing/fake.ts";

describeIntelContract("abuseipdb", async () => {
  const fake = await startAbuseIpdbFake();
  return { port: abuseIpdbAdapter(fake).intel, fixture: FIXTURE, teardown: () => fake.close() };
});
