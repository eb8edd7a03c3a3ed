import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE } from "../lab/testing/fixture.ts";
import { intelVerdictSchema, type ThreatIntel } from "../types.ts";
import type { ContractSetup } from "./types.ts";

/** Every ThreatIntel: a known observable's verdict; anything else is "unknown", never an error. */
export function describeIntelContract(name: string, setup: () => Promise<ContractSetup<ThreatIntel>>): void {
  describe(`ThreatIntel contract: ${name}`, () => {
    let ctx: ContractSetup<ThreatIntel>;
    beforeAll(async () => {
      ctx = await setup();
    });
    afterAll(async () => ctx.teardown?.());

    it("returns the verdict of a known observable", async () => {
      const verdict = intelVerdictSchema.parse(await ctx.port.lookup(FIXTURE.intel.observable));
      expect(verdict).toMatchObject({ verdict: "malicious", tags: ["hosting"] });
    });

    it("answers unknown for an observable it has never seen", async () => {
      const verdict = intelVerdictSchema.parse(
        await ctx.port.lookup({ type: "domain", value: "never-seen.example" }),
      );
      expect(verdict).toMatchObject({
        verdict: "unknown",
        observable: { type: "domain", value: "never-seen.example" },
      });
    });
  });
}
