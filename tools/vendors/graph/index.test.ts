import { afterEach, describe, expect, it } from "vitest";
import { isToolError } from "../../../core/errors.ts";
import { mailSearchQuerySchema } from "../../../core/domain.ts";
import { graphConfigSchema, graphVendor } from "./index.ts";
import { userDoc, fixtureState } from "./testing/fake-state.ts";
import { graphHarness, type GraphHarness } from "./testing/harness.ts";

let h: GraphHarness;
afterEach(async () => h?.close());

const base = { tenantId: "t", clientId: "c" };
const anyMail = mailSearchQuerySchema.parse({ from: "ap@evil.test" });

describe("graph config", () => {
  it("has defaults for the endpoints, names the secret's variable, and wants exactly one mailbox source", () => {
    const config = graphConfigSchema.parse({ ...base, mailboxes: ["ann@corp.test"] });
    expect(config).toMatchObject({
      graphUrl: "https://graph.microsoft.com/v1.0",
      graphScope: "https://graph.microsoft.com/.default",
      loginUrl: "https://login.microsoftonline.com",
      clientSecretEnv: "AZURE_CLIENT_SECRET",
      quarantineFolder: "recoverableitemsdeletions",
      concurrency: 4,
    });
    for (const bad of [
      base,
      { ...base, mailboxes: ["a@b.test"], allMailboxes: true },
      { ...base, mailboxes: ["not an address"] },
      { ...base, allMailboxes: true, clientSecret: "inline secrets are refused" },
      { ...base, allMailboxes: true, quarantineFolder: "inbox" },
    ])
      expect(graphConfigSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });

  it("fails on first use, not at creation, when the secret is missing from the environment", async () => {
    const config = graphConfigSchema.parse({
      ...base,
      mailboxes: ["ann@corp.test"],
      loginUrl: "http://127.0.0.1:1",
    });
    const instance = graphVendor.create(config, { env: {}, now: () => new Date() });
    const error = await instance.mail?.findMessages(anyMail).catch((e: unknown) => e);
    expect(isToolError(error) && [error.code, error.message]).toEqual([
      "AUTH_FAILED",
      "graph: no credentials: set AZURE_CLIENT_SECRET in the environment",
    ]);
  });
});

describe("graph mailbox discovery", () => {
  it("reads every user with a mail address, paged to the bound, once per TTL", async () => {
    let clock = Date.parse("2026-11-03T12:00:00Z");
    const state = fixtureState();
    state.users.push(userDoc("nomail@corp.test", { mail: null }));
    h = await graphHarness({
      state,
      config: { allMailboxes: true, maxMailboxes: 50 },
      now: () => new Date(clock),
    });
    await h.mail.findMessages(anyMail);
    await h.mail.findMessages(anyMail);
    const reads = () => h.server.requests.filter((r) => r.path === "/v1.0/users");
    expect(reads().map((r) => Object.fromEntries(r.query))).toEqual([
      { $select: "mail,userPrincipalName", $top: "50" },
      { $skiptoken: expect.any(String) },
    ]);
    const searched = new Set(
      h.server.requests.filter((r) => r.path.endsWith("/messages")).map((r) => r.path),
    );
    expect(searched).toEqual(
      new Set(["/v1.0/users/ann%40corp.test/messages", "/v1.0/users/bob%40corp.test/messages"]),
    );
    clock += 61 * 60_000;
    await h.mail.findMessages(anyMail);
    expect(reads()).toHaveLength(4);
  });

  it("stops reading users at maxMailboxes", async () => {
    h = await graphHarness({ config: { allMailboxes: true, maxMailboxes: 1 } });
    await h.mail.findMessages(anyMail);
    expect(h.server.requests.filter((r) => r.path === "/v1.0/users")).toHaveLength(1);
    expect(h.server.requests.filter((r) => r.path.endsWith("/messages"))).toHaveLength(1);
  });

  it("searches the members of a group", async () => {
    h = await graphHarness({ config: { mailboxGroupId: "group-vip" } });
    const found = await h.mail.findMessages(anyMail);
    expect(found.map((m) => m.id)).toEqual(["m-2"]);
    expect(
      h.server.requests.some(
        (r) => r.path === "/v1.0/groups/group-vip/transitiveMembers/microsoft.graph.user",
      ),
    ).toBe(true);
  });
});

describe("graph probe", () => {
  it("checks the token, the mailbox list, messages, rules and the quarantine folder, changing nothing", async () => {
    h = await graphHarness();
    const lines = await h.instance.probe();
    expect(lines.map((l) => [l.check, l.ok, l.detail])).toEqual([
      ["graph: token", true, "token issued for https://graph.microsoft.com/.default"],
      ["graph: mailboxes", true, "2 mailboxes to search"],
      ["mail: read messages of ann@corp.test", true, "messages readable"],
      ["mail: read inbox rules of ann@corp.test", true, "0 inbox rules readable"],
      [
        "actions: find the recoverableitemsdeletions folder of ann@corp.test",
        true,
        'found "Deletions"; write permissions are checked on first use',
      ],
    ]);
    expect(h.server.requests.every((r) => r.method === "GET" || r.path.endsWith("/token"))).toBe(true);
  });

  it("stops at a refused secret with the identity platform's reason", async () => {
    h = await graphHarness({ refuseAuth: true });
    const lines = await h.instance.probe();
    expect(lines).toEqual([
      {
        check: "graph: token",
        ok: false,
        detail: expect.stringMatching(
          /^graph: POST .*token: token refused: AADSTS7000215: Invalid client secret/,
        ),
      },
    ]);
  });

  it("names the missing permission or the access policy", async () => {
    h = await graphHarness({ permissions: ["User.Read.All"] });
    const lines = await h.instance.probe();
    expect(lines[2]).toMatchObject({
      ok: false,
      detail: expect.stringMatching(
        /ErrorAccessDenied.*\(missing Mail\.Read, or an application access policy blocks this mailbox\)$/,
      ),
    });
    expect(lines[3]).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/\(missing MailboxSettings\.Read\)$/),
    });
    await h.close();
    h = await graphHarness({ blockedMailboxes: ["ann@corp.test"] });
    expect((await h.instance.probe())[2]?.detail).toMatch(
      /Blocked by tenant configured AppOnly AccessPolicy.*application access policy/,
    );
  });

  it("reports an unreachable Graph in one line", async () => {
    h = await graphHarness();
    await h.server.close();
    const lines = await h.instance.probe();
    expect(lines).toEqual([
      {
        check: "graph: token",
        ok: false,
        detail: expect.stringMatching(/^graph: POST .*: cannot reach http:\/\/127\.0\.0\.1:\d+/),
      },
    ]);
  });
});
