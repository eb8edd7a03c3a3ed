import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isToolError } from "../errors.ts";
import { FIXTURE } from "../lab/testing/fixture.ts";
import { inboxRuleSchema, mailboxMessageSchema, mailSearchQuerySchema, type MailSearch } from "../types.ts";
import type { ContractSetup } from "./types.ts";

/** Every MailSearch: every copy of a message, raw source, inbox rules; a search needs a criterion. */
export function describeMailContract(name: string, setup: () => Promise<ContractSetup<MailSearch>>): void {
  describe(`MailSearch contract: ${name}`, () => {
    let ctx: ContractSetup<MailSearch>;
    beforeAll(async () => {
      ctx = await setup();
    });
    afterAll(async () => ctx.teardown?.());

    it("finds every copy of a message across mailboxes", async () => {
      const copies = await ctx.port.findMessages(
        mailSearchQuerySchema.parse({ messageId: FIXTURE.messageId }),
      );
      expect(copies.map((m) => mailboxMessageSchema.parse(m).mailbox).sort()).toEqual([
        "ann@corp.test",
        "bob@corp.test",
      ]);
      expect(
        await ctx.port.findMessages(
          mailSearchQuerySchema.parse({ from: "AP@evil.test", mailbox: "ann@corp.test" }),
        ),
      ).toHaveLength(1);
      expect(
        await ctx.port.findMessages(mailSearchQuerySchema.parse({ messageId: FIXTURE.messageId, limit: 1 })),
      ).toHaveLength(1);
    });

    it("refuses a search without criteria", async () => {
      const error = await ctx.port.findMessages(mailSearchQuerySchema.parse({})).catch((e: unknown) => e);
      expect(isToolError(error) && error.code).toBe("BAD_INPUT");
    });

    it("returns the raw source of a copy, or null", async () => {
      expect(await ctx.port.getRawMessage("ann@corp.test", "m-1")).toContain("Message-ID: <fx-1@evil.test>");
      expect(await ctx.port.getRawMessage("ann@corp.test", "m-404")).toBeNull();
    });

    it("lists inbox rules of a mailbox", async () => {
      expect((await ctx.port.listInboxRules("bob@corp.test")).map((r) => inboxRuleSchema.parse(r))).toEqual([
        FIXTURE.rule,
      ]);
      expect(await ctx.port.listInboxRules("ann@corp.test")).toEqual([]);
    });
  });
}
