import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { intelVerdictSchema, type ObservableType } from "../../core/domain.ts";
import { type ThreatIntel } from "../../core/ports.ts";
import type { ContractSetup } from "./types.ts";

/**
 * Every ThreatIntel: a known observable's verdict; anything else is "unknown", never an error. `covers`
 * names the observable types the source has data on (an IP-reputation service has no domains); the
 * fixture's verdicts of other types must then come back "unknown".
 */
export function describeIntelContract(
  name: string,
  setup: () => Promise<ContractSetup<ThreatIntel>>,
  options: { covers?: readonly ObservableType[] } = {},
): void {
  const covers = (type: ObservableType) => !options.covers || options.covers.includes(type);
  describe(`ThreatIntel contract: ${name}`, () => {
    let ctx: ContractSetup<ThreatIntel>;
    beforeAll(async () => {
      ctx = await setup();
    });
    afterAll(async () => ctx.teardown?.());

    const lookup = async (type: "ip" | "domain" | "url", value: string) =>
      intelVerdictSchema.parse(await ctx.port.lookup({ type, value }));

    it("returns the verdict of a known observable of each type it covers, unknown for the others", async () => {
      for (const known of [ctx.fixture.intel, ctx.fixture.intelDomain]) {
        const answer = await lookup(known.observable.type, known.observable.value);
        expect(answer.observable).toEqual(known.observable);
        if (covers(known.observable.type))
          expect(answer).toMatchObject({ verdict: known.verdict, score: known.score, tags: known.tags });
        else expect(answer.verdict).toBe("unknown");
      }
    });

    it("matches a value case-insensitively", async () => {
      const { intelDomain } = ctx.fixture;
      const answer = await lookup("domain", intelDomain.observable.value.toUpperCase());
      expect(answer.verdict).toBe(covers("domain") ? intelDomain.verdict : "unknown");
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
