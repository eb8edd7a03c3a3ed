import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directoryUserSchema, signInSchema } from "../../core/domain.ts";
import { type Identity } from "../../core/ports.ts";
import type { ContractSetup } from "./types.ts";

/** Every Identity: a user by UPN (null when unknown) and their sign-ins in a window, oldest first. */
export function describeIdentityContract(name: string, setup: () => Promise<ContractSetup<Identity>>): void {
  describe(`Identity contract: ${name}`, () => {
    let ctx: ContractSetup<Identity>;
    beforeAll(async () => {
      ctx = await setup();
    });
    afterAll(async () => ctx.teardown?.());

    const signIns = (q: { since?: string; until?: string; limit?: number; user?: string }) =>
      ctx.port.listSignIns({
        user: q.user ?? ctx.fixture.user.userPrincipalName,
        since: q.since ?? ctx.fixture.window.from,
        until: q.until ?? ctx.fixture.window.to,
        ...(q.limit === undefined ? {} : { limit: q.limit }),
      });
    const at = (i: number) => ctx.fixture.signIns[i]?.timestamp ?? "";

    it("returns a user by UPN, case-insensitively", async () => {
      const upn = ctx.fixture.user.userPrincipalName.toUpperCase();
      expect(directoryUserSchema.parse(await ctx.port.getUser(upn))).toEqual(ctx.fixture.user);
    });

    it("answers null for an unknown user", async () => {
      expect(await ctx.port.getUser(ctx.fixture.unknown.user)).toBeNull();
    });

    it("lists the user's sign-ins in the window, oldest first", async () => {
      const all = (await signIns({})).map((s) => signInSchema.parse(s));
      expect(all).toEqual(ctx.fixture.signIns);
    });

    it("keeps to since and until, both inclusive", async () => {
      expect((await signIns({ since: at(1) })).map((s) => s.id)).toEqual(["s-2"]);
      expect((await signIns({ until: at(0) })).map((s) => s.id)).toEqual(["s-1"]);
      expect(await signIns({ until: ctx.fixture.window.from })).toEqual([]);
    });

    it("honours the limit, keeping the oldest", async () => {
      expect((await signIns({ limit: 1 })).map((s) => s.id)).toEqual(["s-1"]);
    });

    it("answers an empty list for a user with no sign-ins", async () => {
      expect(await signIns({ user: ctx.fixture.unknown.user })).toEqual([]);
    });
  });
}
