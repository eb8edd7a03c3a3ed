import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

    const lookup = async (type: "ip" | "domain" | "url", value: string) =>
      intelVerdictSchema.parse(await ctx.port.lookup({ type, value }));

    it("returns the verdict of a known observable", async () => {
      const { intel } = ctx.fixture;
      expect(await lookup(intel.observable.type, intel.observable.value)).toMatchObject({
        observable: intel.observable,
        verdict: intel.verdict,
        score: intel.score,
        tags: intel.tags,
      });
    });

    it("matches a value case-insensitively", async () => {
      const { intelDomain } = ctx.fixture;
      expect(await lookup("domain", intelDomain.observable.value.toUpperCase())).toMatchObject({
        verdict: intelDomain.verdict,
      });
    });

    it("matches the observable's type: a domain's verdict is not an IP's or a URL's", async () => {
      const domain = ctx.fixture.intelDomain.observable.value;
      expect((await lookup("ip", domain)).verdict).toBe("unknown");
      expect((await lookup("url", `https://${domain}/login`)).verdict).toBe("unknown");
    });

    it("answers unknown, echoing the observable, for one it has never seen", async () => {
      expect(await lookup("domain", "never-seen.example")).toMatchObject({
        verdict: "unknown",
        observable: { type: "domain", value: "never-seen.example" },
      });
    });
  });
}
