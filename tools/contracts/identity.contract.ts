import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE } from "../lab/testing/fixture.ts";
import { directoryUserSchema, signInSchema, type Identity } from "../types.ts";
import type { ContractSetup } from "./types.ts";

/** Every Identity: a user by UPN (null when unknown) and their sign-ins in a window, oldest first. */
export function describeIdentityContract(name: string, setup: () => Promise<ContractSetup<Identity>>): void {
  describe(`Identity contract: ${name}`, () => {
    let ctx: ContractSetup<Identity>;
    beforeAll(async () => {
      ctx = await setup();
    });
    afterAll(async () => ctx.teardown?.());

    it("finds a user case-insensitively and null for an unknown one", async () => {
      expect(directoryUserSchema.parse(await ctx.port.getUser("BOB@corp.test"))).toEqual(FIXTURE.user);
      expect(await ctx.port.getUser("nobody@corp.test")).toBeNull();
    });

    it("lists sign-ins in the window, oldest first, up to the limit", async () => {
      const all = await ctx.port.listSignIns({
        user: "bob@corp.test",
        since: FIXTURE.window.from,
        until: FIXTURE.window.to,
      });
      expect(all.map((s) => signInSchema.parse(s).id)).toEqual(["s-1", "s-2"]);
      expect(
        await ctx.port.listSignIns({
          user: "bob@corp.test",
          since: FIXTURE.window.from,
          until: FIXTURE.window.to,
          limit: 1,
        }),
      ).toHaveLength(1);
      expect(
        await ctx.port.listSignIns({
          user: "bob@corp.test",
          since: FIXTURE.signIns[1]?.timestamp ?? "",
          until: FIXTURE.window.to,
        }),
      ).toHaveLength(1);
    });
  });
}
