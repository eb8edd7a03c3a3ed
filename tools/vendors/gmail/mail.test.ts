import { afterEach, describe, expect, it } from "vitest";
import { isToolError } from "../../../core/errors.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import {
  mailSearchQuerySchema,
  type MailboxMessage,
  type MailSearchQueryInput,
} from "../../../core/domain.ts";
import type { GmailFake } from "./testing/fake.ts";
import { gmailUnderTest } from "./testing/harness.ts";
import { fixtureWorld, gmailMessageOf, type GmailWorld } from "./testing/seed.ts";

let fake: GmailFake | undefined;
afterEach(async () => fake?.close());

async function setup(...args: Parameters<typeof gmailUnderTest>) {
  const t = await gmailUnderTest(...args);
  fake = t.fake;
  return { ...t, find: (q: MailSearchQueryInput) => t.mail.findMessages(mailSearchQuerySchema.parse(q)) };
}

const ANN = "/gmail/v1/users/ann%40corp.test";

function fixtureMessage(id: string): MailboxMessage {
  const found = FIXTURE.messages.find((m) => m.id === id);
  if (!found) throw new Error(`no fixture message ${id}`);
  return found;
}
const PHISH = fixtureMessage("m-1");
const NEWSLETTER = fixtureMessage("m-3");

/** Ann's mailbox holding `n` newsletters a minute apart, newest last. */
function newsletters(n: number): GmailWorld {
  const world = fixtureWorld();
  const base = NEWSLETTER;
  world.mailboxes.set(
    "ann@corp.test",
    Array.from({ length: n }, (_, i) =>
      gmailMessageOf({
        ...base,
        id: `n-${i}`,
        receivedAt: new Date(Date.parse(base.receivedAt) + i * 60_000).toISOString(),
      }),
    ),
  );
  return world;
}

describe("Gmail search", () => {
  it("lists with the search terms, spam and trash included, then reads three headers of each hit", async () => {
    const { find, fake } = await setup();
    expect((await find({ messageId: FIXTURE.messageId, mailbox: "ann@corp.test" })).map((m) => m.id)).toEqual(
      ["m-1"],
    );
    const [list, ...metadata] = fake.requests.filter((r) => r.path.startsWith(ANN));
    expect(list?.path).toBe(`${ANN}/messages`);
    expect(Object.fromEntries(list?.query ?? [])).toEqual({
      q: "rfc822msgid:fx-1@evil.test",
      maxResults: "200",
      includeSpamTrash: "true",
    });
    expect(metadata.map((r) => [r.path, r.query.get("format"), r.query.getAll("metadataHeaders")])).toEqual([
      [`${ANN}/messages/m-1`, "metadata", ["From", "Subject", "Message-ID"]],
    ]);
  });

  it("maps labels to folders and read state, and the From header to its address", async () => {
    const world = fixtureWorld();
    const ann = world.mailboxes.get("ann@corp.test") ?? [];
    const [m1, m3] = ["m-1", "m-3"].map((id) => ann.find((m) => m.id === id));
    if (!m3 || !m1) throw new Error("fixture changed");
    m1.labelIds = ["TRASH"];
    m3.labelIds = ["CATEGORY_PROMOTIONS", "UNREAD"];
    const { find } = await setup({ world });
    expect(await find({ mailbox: "ann@corp.test" })).toEqual([
      { ...NEWSLETTER, folder: "Archive", isRead: false },
      { ...PHISH, folder: "Trash", isRead: true },
    ]);
  });

  it("follows nextPageToken until the limit is met, and no further", async () => {
    const { find, fake } = await setup({ world: newsletters(7), pageSize: 2 });
    const found = await find({ mailbox: "ann@corp.test", limit: 3 });
    // Gmail lists newest first: the three newest are kept, then returned oldest first.
    expect(found.map((m) => m.id)).toEqual(["n-4", "n-5", "n-6"]);
    const lists = fake.requests.filter((r) => r.path === `${ANN}/messages`);
    expect(lists.map((r) => r.query.get("pageToken"))).toEqual([null, "2"]);
  });

  it("stops reading a mailbox at maxScanPerMailbox when loose hits keep failing the exact check", async () => {
    const { find, fake } = await setup({ world: newsletters(9), pageSize: 2 }, { maxScanPerMailbox: 5 });
    expect(await find({ from: "shop.test", mailbox: "ann@corp.test" })).toEqual([]);
    const reads = fake.requests.filter((r) => r.path.startsWith(`${ANN}/messages/`));
    expect(reads).toHaveLength(5);
    expect(
      fake.requests.filter((r) => r.path === `${ANN}/messages`).map((r) => r.query.get("maxResults")),
    ).toEqual(["5", "3", "1"]);
  });

  it("answers [] when Gmail leaves out the messages key", async () => {
    const { find, fake } = await setup();
    expect(await find({ subject: "nothing like this" })).toEqual([]);
    expect(fake.requests.filter((r) => r.path.includes("/messages/"))).toEqual([]);
  });
});

describe("Gmail raw sources", () => {
  it("decodes base64url, including bytes that differ from plain base64", async () => {
    const world = fixtureWorld();
    const raw = "Subject: ünïcødé ?>~\r\n\r\n>>>???\r\n";
    world.mailboxes.set("ann@corp.test", [gmailMessageOf(PHISH, raw)]);
    const { mail, fake } = await setup({ world });
    expect(await mail.getRawMessage("ANN@corp.test", "m-1")).toBe(raw);
    expect(fake.requests.at(-1)?.query.get("format")).toBe("raw");
  });

  it("answers null for 404, for Gmail's 400 Invalid id value, and for ids that cannot exist", async () => {
    const { mail, fake } = await setup();
    expect(await mail.getRawMessage("bob@corp.test", "m-404")).toBeNull();
    fake.inject({
      status: 400,
      body: { error: { code: 400, message: "Invalid id value", errors: [{ reason: "invalidArgument" }] } },
    });
    expect(await mail.getRawMessage("bob@corp.test", "zzz")).toBeNull();
    const before = fake.requests.length;
    expect(await mail.getRawMessage("bob@corp.test", "../settings/filters")).toBeNull();
    expect(fake.requests).toHaveLength(before);
  });
});

describe("Gmail filters and forwarding as inbox rules", () => {
  it("maps trash, archive-under-label and forwarding filters, and automatic forwarding", async () => {
    const world = fixtureWorld();
    world.filters.set("ann@corp.test", [
      {
        id: "f-trash",
        criteria: { from: "boss@corp.test", subject: "wire transfer" },
        action: { addLabelIds: ["TRASH"] },
      },
      {
        id: "f-label",
        criteria: { query: "invoice" },
        action: { addLabelIds: ["Label_7"], removeLabelIds: ["INBOX"] },
      },
    ]);
    world.autoForwarding.set("ann@corp.test", {
      enabled: true,
      emailAddress: "drop@evil.test",
      disposition: "trash",
    });
    world.userLabels.set("ann@corp.test", [{ id: "Label_7", name: "Invoices" }]);
    const { mail, fake } = await setup({ world });
    const rules = await mail.listInboxRules("ann@corp.test");
    expect(rules).toEqual([
      {
        id: "f-trash",
        mailbox: "ann@corp.test",
        name: 'Gmail filter: from:boss@corp.test subject:"wire transfer"',
        enabled: true,
        forwardTo: [],
        moveToFolder: null,
        deleteMessage: true,
        conditions: { from: "boss@corp.test", subject: "wire transfer" },
        createdAt: null,
      },
      {
        id: "f-label",
        mailbox: "ann@corp.test",
        name: "Gmail filter: query:invoice",
        enabled: true,
        forwardTo: [],
        moveToFolder: "Invoices",
        deleteMessage: false,
        conditions: { query: "invoice" },
        createdAt: null,
      },
      {
        id: "auto-forwarding",
        mailbox: "ann@corp.test",
        name: "Automatic forwarding to drop@evil.test",
        enabled: true,
        forwardTo: ["drop@evil.test"],
        moveToFolder: null,
        deleteMessage: true,
        conditions: {},
        createdAt: null,
      },
    ]);
    expect(fake.requests.some((r) => r.path === `${ANN}/labels`)).toBe(true);
  });

  it("answers [] when there are no filters (no filter key) and forwarding is off", async () => {
    const { mail } = await setup();
    expect(await mail.listInboxRules("ann@corp.test")).toEqual([]);
  });
});

describe("Gmail throttling and errors", () => {
  const throttle = (status: number, reason: string) => ({
    status,
    body: {
      error: {
        code: status,
        message: "Rate limit exceeded",
        errors: [{ domain: "usageLimits", reason, message: "x" }],
      },
    },
  });

  it("retries 429 rateLimitExceeded and 403 userRateLimitExceeded with backoff", async () => {
    const { find, fake, waits } = await setup();
    fake.inject(throttle(429, "rateLimitExceeded"));
    fake.inject(throttle(403, "userRateLimitExceeded"), {
      when: (r) => r.path.startsWith(`${ANN}/messages`),
    });
    expect((await find({ messageId: FIXTURE.messageId, mailbox: "ann@corp.test" })).map((m) => m.id)).toEqual(
      ["m-1"],
    );
    expect(waits).toHaveLength(2);
  });

  it("gives up at once on dailyLimitExceeded, saying how long until the quota resets", async () => {
    const { mail, fake, waits } = await setup();
    fake.inject(throttle(403, "dailyLimitExceeded"), { when: (r) => r.path !== "/token" });
    const error = await mail.getRawMessage("ann@corp.test", "m-1").catch((e: unknown) => e);
    expect(isToolError(error) && [error.code, error.message]).toEqual([
      "RATE_LIMITED",
      "gmail: GET /gmail/v1/users/ann%40corp.test/messages/m-1: HTTP 403 Rate limit exceeded (dailyLimitExceeded)",
    ]);
    expect(isToolError(error) && error.retryAfterMs).toBeGreaterThan(0);
    expect(waits).toEqual([]);
  });

  it("reports missing scopes as FORBIDDEN without retrying", async () => {
    const { mail, fake, waits } = await setup({ forbid: true });
    const error = await mail.listInboxRules("bob@corp.test").catch((e: unknown) => e);
    expect(isToolError(error) && error.code).toBe("FORBIDDEN");
    expect(isToolError(error) && error.message).toMatch(
      /Request had insufficient authentication scopes\. \(insufficientPermissions\)$/,
    );
    expect(waits).toEqual([]);
    // One answer each for filters and forwarding at most: a 403 is not retried.
    const paths = fake.requests.filter((r) => r.path !== "/token").map((r) => r.path);
    expect(new Set(paths).size).toBe(paths.length);
  });
});
