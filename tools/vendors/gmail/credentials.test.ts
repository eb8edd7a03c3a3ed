import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { formOf, toolErrorOf as failure } from "../../testing/fake-http.ts";
import type { GmailFake } from "./testing/fake.ts";
import { gmailUnderTest, keyJson, SERVICE_ACCOUNT } from "./testing/harness.ts";

let fake: GmailFake | undefined;
afterEach(async () => fake?.close());

async function setup(...args: Parameters<typeof gmailUnderTest>) {
  const t = await gmailUnderTest(...args);
  fake = t.fake;
  return t;
}

const claimsSchema = z.object({
  iss: z.string(),
  sub: z.string(),
  scope: z.string(),
  aud: z.string(),
  iat: z.number(),
  exp: z.number(),
});
const decode = (part: string | undefined): unknown =>
  JSON.parse(Buffer.from(part ?? "", "base64url").toString());

describe("Gmail service account with domain-wide delegation", () => {
  it("signs one JWT per mailbox (iss, sub, scope, aud, an hour's life) and caches each mailbox's token", async () => {
    const { mail, fake } = await setup();
    await mail.findMessages({ subject: "Invoice", limit: 10 });
    await mail.findMessages({ subject: "Invoice", limit: 10 });
    const tokenRequests = fake.requests.filter((r) => r.path === "/token");
    expect(tokenRequests).toHaveLength(2);
    const assertions = tokenRequests.map((r) => formOf(r));
    expect(
      assertions.every((f) => f.get("grant_type") === "urn:ietf:params:oauth:grant-type:jwt-bearer"),
    ).toBe(true);
    const parts = assertions.map((f) => (f.get("assertion") ?? "").split("."));
    expect(decode(parts[0]?.[0])).toEqual({ alg: "RS256", typ: "JWT", kid: "k1" });
    const claims = parts.map((p) => claimsSchema.parse(decode(p[1])));
    expect(claims.map((c) => c.sub).sort()).toEqual(["ann@corp.test", "bob@corp.test"]);
    for (const c of claims) {
      expect([c.iss, c.scope, c.aud, c.exp - c.iat]).toEqual([
        SERVICE_ACCOUNT,
        "https://www.googleapis.com/auth/gmail.modify",
        `${fake.url}/token`,
        3600,
      ]);
    }
    // Each mailbox is read with its own token: ann's token cannot open bob's mailbox.
    const tokenOf = (mailbox: string) =>
      new Set(
        fake.requests
          .filter((r) => r.path.includes(encodeURIComponent(mailbox)))
          .map((r) => r.headers.authorization),
      );
    expect(tokenOf("ann@corp.test").size).toBe(1);
    expect([...tokenOf("ann@corp.test")]).not.toEqual([...tokenOf("bob@corp.test")]);
  });

  it("gets a new token when Gmail answers 401, once", async () => {
    const { mail, fake } = await setup();
    await mail.listInboxRules("bob@corp.test");
    fake.revokeTokens();
    expect(await mail.listInboxRules("bob@corp.test")).toHaveLength(1);
    expect(fake.issuedFor).toEqual(["bob@corp.test", "bob@corp.test"]);
  });

  it("reads the key from a file when the variable holds a path, and lets the config name the token URL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gmail-key-"));
    try {
      const path = join(dir, "key.json");
      writeFileSync(path, keyJson("https://unused.invalid/token"));
      const { mail } = await setup(
        {},
        (url) => ({ auth: { type: "service_account", tokenUrl: `${url}/token` } }),
        { GOOGLE_APPLICATION_CREDENTIALS: path },
      );
      expect(await mail.getRawMessage("ann@corp.test", "m-3")).toMatch(/^From: news@shop.test/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails with AUTH_FAILED, in one line, for a missing, unreadable or malformed key", async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [
        { GOOGLE_APPLICATION_CREDENTIALS: "" },
        "gmail: no credentials: set GOOGLE_APPLICATION_CREDENTIALS in the environment",
      ],
      [
        { GOOGLE_APPLICATION_CREDENTIALS: "/no/such/key.json" },
        "gmail: cannot read the service account key file named by GOOGLE_APPLICATION_CREDENTIALS (ENOENT)",
      ],
      [
        { GOOGLE_APPLICATION_CREDENTIALS: "{not json" },
        "gmail: the service account key in GOOGLE_APPLICATION_CREDENTIALS is not JSON",
      ],
      [
        { GOOGLE_APPLICATION_CREDENTIALS: '{"client_email":"x"}' },
        "gmail: the service account key in GOOGLE_APPLICATION_CREDENTIALS lacks private_key",
      ],
      [
        { GOOGLE_APPLICATION_CREDENTIALS: '{"client_email":"x","private_key":"nope"}' },
        "gmail: the service account's private_key is not a PEM private key",
      ],
    ];
    for (const [env, message] of cases) {
      const { mail, fake } = await setup({}, {}, env);
      const error = await failure(mail.getRawMessage("ann@corp.test", "m-1"));
      expect([error.code, error.message]).toEqual(["AUTH_FAILED", message]);
      expect(fake.requests).toHaveLength(0);
      await fake.close();
    }
  });

  it("reports a wrong key and an undelegated client as refused tokens", async () => {
    const { privateKey: stranger } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const wrongKey = await setup({}, {}, (url) => ({
      GOOGLE_APPLICATION_CREDENTIALS: keyJson(`${url}/token`, stranger),
    }));
    const error = await failure(wrongKey.mail.getRawMessage("ann@corp.test", "m-1"));
    expect([error.code, error.message]).toEqual([
      "AUTH_FAILED",
      "gmail: POST /token: token refused: Invalid JWT Signature.",
    ]);
    await wrongKey.fake.close();
    const refused = await setup({ refuseAuth: true });
    const denied = await failure(refused.mail.getRawMessage("ann@corp.test", "m-1"));
    expect(denied.code).toBe("AUTH_FAILED");
    expect(denied.message).toMatch(
      /^gmail: POST \/token: token refused: Client is unauthorized to retrieve access tokens/,
    );
  });
});

describe("Gmail access token", () => {
  it("sends the token from the environment as a bearer for the mailbox", async () => {
    const { mail, fake } = await setup(
      { accessTokens: ["ya29.user-token"] },
      { auth: { type: "access_token" } },
      { GMAIL_ACCESS_TOKEN: "ya29.user-token" },
    );
    expect(await mail.getRawMessage("ann@corp.test", "m-1")).toMatch(/^From: ap@evil.test/);
    expect(fake.requests.map((r) => r.headers.authorization)).toEqual(["Bearer ya29.user-token"]);
  });
});
