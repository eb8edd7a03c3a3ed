import { afterEach, describe, expect, it } from "vitest";
import { gmailConfigSchema, gmailVendor } from "./index.ts";
import type { GmailFake } from "./testing/fake.ts";
import { gmailUnderTest, keyJson } from "./testing/harness.ts";

let fake: GmailFake | undefined;
afterEach(async () => fake?.close());

async function probe(...args: Parameters<typeof gmailUnderTest>) {
  const t = await gmailUnderTest(...args);
  fake = t.fake;
  return t.instance.probe();
}

describe("Gmail probes", () => {
  it("gets a delegated token for the first mailbox and reads its profile, changing nothing", async () => {
    expect(await probe()).toEqual([
      { check: "gmail: token for ann@corp.test", ok: true, detail: "delegated token issued" },
      { check: "mail: read ann@corp.test", ok: true, detail: "2 messages in ann@corp.test" },
    ]);
    expect(fake?.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /token",
      "GET /gmail/v1/users/ann%40corp.test/profile",
    ]);
  });

  it("checks the quarantine label in label mode", async () => {
    const lines = await probe({}, { quarantine: { mode: "label" } });
    expect(lines[2]).toEqual({
      check: "actions: quarantine label in ann@corp.test",
      ok: true,
      detail: "label Quarantine will be created on first use",
    });
  });

  it("says delegation was refused, in one line", async () => {
    const [line, ...rest] = await probe({ refuseAuth: true });
    expect(rest).toEqual([]);
    expect(line?.ok).toBe(false);
    expect(line?.detail).toMatch(/^gmail: POST \/token: token refused: Client is unauthorized/);
  });

  it("says a scope is missing", async () => {
    const lines = await probe({ forbid: true });
    expect(lines.map((l) => l.ok)).toEqual([true, false]);
    expect(lines[1]?.detail).toBe(
      "gmail: GET /gmail/v1/users/ann%40corp.test/profile: HTTP 403 Request had insufficient authentication scopes. (insufficientPermissions)",
    );
  });

  it("says Google is unreachable when it is down", async () => {
    const instance = gmailVendor.create(
      gmailConfigSchema.parse({ mailboxes: ["ann@corp.test"], baseUrl: "http://127.0.0.1:1" }),
      {
        env: { GOOGLE_APPLICATION_CREDENTIALS: keyJson("http://127.0.0.1:1/token") },
        http: { sleep: async () => undefined },
        now: () => new Date(),
      },
    );
    const [line, ...rest] = await instance.probe();
    expect(rest).toEqual([]);
    expect(line?.detail).toMatch(/^gmail: POST \/token: cannot reach http:\/\/127\.0\.0\.1:1/);
  });
});
