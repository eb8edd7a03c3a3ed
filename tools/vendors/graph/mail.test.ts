import { afterEach, describe, expect, it } from "vitest";
import { isToolError } from "../../../core/errors.ts";
import { FIXTURE } from "../../lab/testing/fixture.ts";
import { formOf } from "../../testing/fake-http.ts";
import { mailSearchQuerySchema, type MailSearchQueryInput } from "../../../core/domain.ts";
import { FAKE_CLIENT_ID, FAKE_SECRET, FAKE_TENANT } from "./testing/fake-server.ts";
import {
  emptyMailbox,
  fixtureState,
  messageDoc,
  userDoc,
  type FakeGraphState,
} from "./testing/fake-state.ts";
import { graphHarness, type GraphHarness } from "./testing/harness.ts";

let h: GraphHarness;
afterEach(async () => h?.close());

const query = (q: MailSearchQueryInput) => mailSearchQuerySchema.parse(q);
const at = (minutes: number) =>
  new Date(Date.parse("2026-11-03T10:00:00.000Z") + minutes * 60_000).toISOString();
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (e: unknown) => (isToolError(e) ? e : null),
  );

/** The fixture plus `count` messages from one sender in each named mailbox, a minute apart. */
function withMessages(mailboxes: readonly string[], count: number, subject = "Bulk"): FakeGraphState {
  const state = fixtureState();
  for (const address of mailboxes) {
    let box = state.mailboxes.find((m) => m.address === address);
    if (!box) {
      box = emptyMailbox(address);
      state.mailboxes.push(box);
      state.users.push(userDoc(address));
    }
    const inbox = box.folders[0]?.id ?? "";
    for (let i = 0; i < count; i++) {
      const m = {
        id: `${address.split("@")[0]}-${i}`,
        mailbox: address,
        messageId: `<bulk-${i}@x.test>`,
        from: "bulk@x.test",
        subject,
        receivedAt: at(-200 + i + (address.startsWith("b") ? 0.5 : 0)),
        folder: "Inbox",
        isRead: false,
      };
      box.messages.push({ doc: messageDoc(m, inbox), raw: "" });
    }
  }
  return state;
}

describe("graph mail: requests", () => {
  it("gets one token, then searches each mailbox with one filtered, ordered query asking for immutable ids", async () => {
    h = await graphHarness();
    await h.mail.findMessages(query({ messageId: FIXTURE.messageId }));
    const [token, ...rest] = h.server.requests;
    expect(token?.path).toBe(`/${FAKE_TENANT}/oauth2/v2.0/token`);
    expect(Object.fromEntries(formOf(token!))).toEqual({
      grant_type: "client_credentials",
      client_id: FAKE_CLIENT_ID,
      client_secret: FAKE_SECRET,
      scope: "https://graph.microsoft.com/.default",
    });
    const searches = rest.filter((r) => r.path.endsWith("/messages"));
    expect(searches.map((r) => r.path).sort()).toEqual([
      "/v1.0/users/ann%40corp.test/messages",
      "/v1.0/users/bob%40corp.test/messages",
    ]);
    for (const r of searches) {
      expect(Object.fromEntries(r.query)).toEqual({
        $filter: "receivedDateTime ge 1900-01-01T00:00:00Z and internetMessageId eq '<fx-1@evil.test>'",
        $orderby: "receivedDateTime asc",
        $select: "id,internetMessageId,subject,from,receivedDateTime,parentFolderId,isRead",
        $top: "100",
      });
      expect(r.headers.prefer).toBe('IdType="ImmutableId"');
      expect(r.headers.authorization).toBe("Bearer graph-token-1");
    }
  });

  it("follows next links verbatim until the limit is met, and no further", async () => {
    h = await graphHarness({ state: withMessages(["ann@corp.test"], 7), pageSize: 2 });
    const found = await h.mail.findMessages(
      query({ from: "bulk@x.test", mailbox: "ann@corp.test", limit: 3 }),
    );
    expect(found.map((m) => m.id)).toEqual(["ann-0", "ann-1", "ann-2"]);
    const pages = h.server.requests.filter((r) => r.path === "/v1.0/users/ann%40corp.test/messages");
    expect(pages).toHaveLength(2);
    expect(Object.fromEntries(pages[1]!.query)).toEqual({ $skiptoken: expect.any(String) });
  });

  it("keeps the oldest across mailboxes when the limit cuts", async () => {
    h = await graphHarness({ state: withMessages(["ann@corp.test", "bob@corp.test"], 3) });
    const found = await h.mail.findMessages(query({ from: "BULK@x.test", limit: 3 }));
    expect(found.map((m) => m.id)).toEqual(["ann-0", "bob-0", "ann-1"]);
  });

  it("names each folder once per mailbox, from a cached lookup", async () => {
    h = await graphHarness({ state: withMessages(["ann@corp.test"], 3) });
    const found = await h.mail.findMessages(query({ mailbox: "ann@corp.test" }));
    expect(new Set(found.map((m) => m.folder))).toEqual(new Set(["Inbox"]));
    await h.mail.findMessages(query({ mailbox: "ann@corp.test" }));
    const lookups = h.server.requests.filter((r) =>
      r.path.startsWith("/v1.0/users/ann%40corp.test/mailFolders/"),
    );
    expect(lookups).toHaveLength(1);
    expect(lookups[0]?.query.get("$select")).toBe("id,displayName");
  });

  it("finds a hostile subject exactly, through real query strings", async () => {
    const subject = "x' or subject eq 'y | back\\slash\nline";
    h = await graphHarness({ state: withMessages(["ann@corp.test"], 1, subject) });
    expect((await h.mail.findMessages(query({ subject }))).map((m) => m.id)).toEqual(["ann-0"]);
    expect(await h.mail.findMessages(query({ subject: "x" }))).toEqual([]);
    expect(await h.mail.findMessages(query({ subject: subject.toUpperCase() }))).toEqual([]);
  });

  it("reads MIME at $value, verbatim", async () => {
    h = await graphHarness();
    expect(await h.mail.getRawMessage("ANN@corp.test", "m-1")).toBe(FIXTURE.raw);
    expect(h.server.requests.at(-1)?.path).toBe("/v1.0/users/ANN%40corp.test/messages/m-1/$value");
  });
});

describe("graph mail: not-found shapes", () => {
  it("answers null, [] or no copies for unknown mailboxes, ids and users without a mailbox", async () => {
    const state = fixtureState();
    state.users.push(userDoc("carol@corp.test"));
    h = await graphHarness({ state, config: { mailboxes: ["ann@corp.test", "carol@corp.test"] } });
    expect(await h.mail.getRawMessage("ghost@corp.test", "m-1")).toBeNull();
    expect(await h.mail.getRawMessage("ann@corp.test", "..")).toBeNull();
    expect(await h.mail.listInboxRules("ghost@corp.test")).toEqual([]);
    expect(await h.mail.findMessages(query({ mailbox: "ghost@corp.test" }))).toEqual([]);
    // carol has an account but no Exchange mailbox (404 MailboxNotEnabledForRESTAPI): no copies there.
    expect((await h.mail.findMessages(query({ messageId: FIXTURE.messageId }))).map((m) => m.id)).toEqual([
      "m-1",
    ]);
  });

  it("fails loudly, naming the vendor, when an access policy keeps it out of a searched mailbox", async () => {
    h = await graphHarness({ blockedMailboxes: ["bob@corp.test"] });
    const error = await failure(h.mail.findMessages(query({ messageId: FIXTURE.messageId })));
    expect(error?.code).toBe("FORBIDDEN");
    expect(error?.message).toMatch(/^graph: GET .*ErrorAccessDenied: Access to OData is disabled/);
  });
});

describe("graph mail: inbox rules", () => {
  it("maps forwarding, redirection, moves, deletion and set conditions, across pages", async () => {
    const state = fixtureState();
    const bob = state.mailboxes.find((m) => m.address === "bob@corp.test")!;
    const archive = bob.folders.find((f) => f.wellKnown === "archive")!;
    const to = (address: string) => ({ emailAddress: { name: "n", address } });
    bob.rules.push(
      {
        id: "r-2",
        displayName: "hide",
        sequence: 2,
        isEnabled: false,
        hasError: false,
        isReadOnly: false,
        conditions: { subjectContains: ["invoice"], fromAddresses: [], sentToMe: null, headerContains: {} },
        exceptions: { senderContains: ["boss"] },
        actions: {
          redirectTo: [to("r@evil.test")],
          forwardAsAttachmentTo: [to("r@evil.test"), to("a@evil.test")],
          moveToFolder: archive.id,
          markAsRead: true,
        },
      },
      {
        id: "r-3",
        displayName: "bin",
        sequence: 3,
        isEnabled: true,
        hasError: false,
        isReadOnly: false,
        conditions: {},
        actions: { permanentDelete: true },
      },
    );
    h = await graphHarness({ state, pageSize: 2 });
    const rules = await h.mail.listInboxRules("bob@corp.test");
    expect(rules.map((r) => r.id)).toEqual(["r-1", "r-2", "r-3"]);
    expect(rules[1]).toEqual({
      id: "r-2",
      mailbox: "bob@corp.test",
      name: "hide",
      enabled: false,
      forwardTo: ["r@evil.test", "a@evil.test"],
      moveToFolder: "Archive",
      deleteMessage: false,
      conditions: { subjectContains: ["invoice"], exceptions: { senderContains: ["boss"] } },
      createdAt: null,
    });
    expect(rules[2]?.deleteMessage).toBe(true);
    expect(h.server.requests.filter((r) => r.path.endsWith("/messageRules"))).toHaveLength(2);
  });
});

describe("graph mail: throttling, concurrency, tokens", () => {
  it("retries a 429, waiting what Retry-After asks, and gives up past the budget without waiting", async () => {
    h = await graphHarness();
    const throttled = {
      status: 429,
      headers: { "retry-after": "2" },
      body: {
        error: { code: "ApplicationThrottled", message: "Application is over its MailboxConcurrency limit." },
      },
    };
    h.server.inject(throttled, { when: (r) => r.path.endsWith("/$value") });
    expect(await h.mail.getRawMessage("ann@corp.test", "m-1")).toBe(FIXTURE.raw);
    expect(h.waits).toHaveLength(1);
    expect(h.waits[0]).toBeGreaterThanOrEqual(2000);
    h.server.inject(
      { ...throttled, headers: { "retry-after": "3600" } },
      { when: (r) => r.path.endsWith("/$value") },
    );
    const error = await failure(h.mail.getRawMessage("ann@corp.test", "m-1"));
    expect([error?.code, error?.retryAfterMs]).toEqual(["RATE_LIMITED", 3_600_000]);
    expect(error?.message).toMatch(/ApplicationThrottled: Application is over its MailboxConcurrency limit/);
    expect(h.waits).toHaveLength(1);
  });

  it("searches a bounded number of mailboxes at once and sends a mailbox at most 4 requests at once", async () => {
    const mailboxes = Array.from({ length: 8 }, (_, i) => `user${i}@corp.test`);
    h = await graphHarness({
      state: withMessages(mailboxes, 1),
      latencyMs: 15,
      config: { mailboxes, concurrency: 3 },
    });
    expect(await h.mail.findMessages(query({ from: "bulk@x.test" }))).toHaveLength(8);
    expect(h.server.maxInFlight().total).toBe(3);
    await Promise.all(Array.from({ length: 10 }, () => h.mail.getRawMessage("ann@corp.test", "m-1")));
    expect(h.server.maxInFlight().perMailbox).toBe(4);
  });

  it("reuses one token, and fetches a new one once when Graph stops accepting it", async () => {
    h = await graphHarness();
    await h.mail.getRawMessage("ann@corp.test", "m-1");
    await h.mail.listInboxRules("bob@corp.test");
    expect(h.server.tokensIssued()).toBe(1);
    h.server.expireTokens();
    expect(await h.mail.getRawMessage("ann@corp.test", "m-1")).toBe(FIXTURE.raw);
    expect(h.server.tokensIssued()).toBe(2);
  });
});
