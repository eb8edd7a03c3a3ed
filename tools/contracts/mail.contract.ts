import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isToolError } from "../../core/errors.ts";
import {
  inboxRuleSchema,
  mailboxMessageSchema,
  mailSearchQuerySchema,
  type MailSearchQueryInput,
} from "../../core/domain.ts";
import { type MailSearch } from "../../core/ports.ts";
import type { ContractSetup } from "./types.ts";

/**
 * Every MailSearch: every copy of a message, raw source, inbox rules; a search needs a criterion.
 * `ruleNames: false` is for mail systems whose rules have no name (Gmail filters): the port then describes
 * the rule in its own words and every other field is still held to the fixture.
 */
export function describeMailContract(
  name: string,
  setup: () => Promise<ContractSetup<MailSearch>>,
  options: { ruleNames?: boolean } = {},
): void {
  describe(`MailSearch contract: ${name}`, () => {
    let ctx: ContractSetup<MailSearch>;
    beforeAll(async () => {
      ctx = await setup();
    });
    afterAll(async () => ctx.teardown?.());

    // Queries go through the schema as a caller's would, so the default limit is applied.
    const find = async (q: MailSearchQueryInput) =>
      (await ctx.port.findMessages(mailSearchQuerySchema.parse(q))).map((m) => mailboxMessageSchema.parse(m));
    const ids = async (q: MailSearchQueryInput) => (await find(q)).map((m) => m.id);

    it("finds every copy of a message across mailboxes", async () => {
      const copies = await find({ messageId: ctx.fixture.messageId });
      expect(copies.map((m) => m.mailbox).sort()).toEqual(["ann@corp.test", "bob@corp.test"]);
      expect(copies.find((m) => m.id === "m-1")).toEqual(ctx.fixture.messages[0]);
    });

    it("matches the sender exactly, case-insensitively, and the subject exactly", async () => {
      expect((await ids({ from: "AP@evil.test" })).sort()).toEqual(["m-1", "m-2"]);
      expect(await ids({ from: "evil.test" })).toEqual([]);
      expect((await ids({ subject: "Invoice" })).sort()).toEqual(["m-1", "m-2"]);
      expect(await ids({ subject: "Invoice overdue" })).toEqual([]);
    });

    it("limits to a mailbox (case-insensitively) and lists oldest first", async () => {
      expect(await ids({ mailbox: "ANN@corp.test" })).toEqual(["m-3", "m-1"]);
      expect(await ids({ from: "ap@evil.test", mailbox: "ann@corp.test" })).toEqual(["m-1"]);
    });

    it("keeps to since and until", async () => {
      const first = ctx.fixture.messages[0];
      expect(await ids({ mailbox: "ann@corp.test", since: first?.receivedAt ?? "" })).toEqual(["m-1"]);
      expect(
        await ids({ mailbox: "ann@corp.test", until: ctx.fixture.messages[2]?.receivedAt ?? "" }),
      ).toEqual(["m-3"]);
    });

    it("honours the limit", async () => {
      expect(await find({ messageId: ctx.fixture.messageId, limit: 1 })).toHaveLength(1);
    });

    it("answers an empty list for a message nobody has", async () => {
      expect(await find({ messageId: ctx.fixture.unknown.messageId })).toEqual([]);
    });

    it("refuses a search without criteria with BAD_INPUT", async () => {
      for (const query of [{}, { since: ctx.fixture.window.from, until: ctx.fixture.window.to }]) {
        const error = await ctx.port
          .findMessages(mailSearchQuerySchema.parse(query))
          .catch((e: unknown) => e);
        expect(isToolError(error) && error.code).toBe("BAD_INPUT");
      }
    });

    it("returns the raw source of a copy, or null", async () => {
      expect(await ctx.port.getRawMessage("ann@corp.test", "m-1")).toBe(ctx.fixture.raw);
      expect(await ctx.port.getRawMessage("ann@corp.test", ctx.fixture.unknown.mailId)).toBeNull();
      // A copy is addressed by its mailbox too: m-2 is bob's, not ann's.
      expect(await ctx.port.getRawMessage("ann@corp.test", "m-2")).toBeNull();
    });

    it("lists the inbox rules of a mailbox (with their creation time where the mail system keeps one)", async () => {
      const rules = (await ctx.port.listInboxRules(ctx.fixture.rule.mailbox)).map((r) =>
        inboxRuleSchema.parse(r),
      );
      // Some mail systems (Graph's messageRule) keep no creation time: null is honest, a wrong time is not.
      const named = options.ruleNames ?? true;
      expect(rules.map((r) => ({ ...r, createdAt: r.createdAt ?? null }))).toEqual([
        {
          ...ctx.fixture.rule,
          createdAt: rules[0]?.createdAt == null ? null : ctx.fixture.rule.createdAt,
          name: named ? ctx.fixture.rule.name : expect.stringMatching(/\S/),
        },
      ]);
      expect(await ctx.port.listInboxRules("ann@corp.test")).toEqual([]);
    });
  });
}
