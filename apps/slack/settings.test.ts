/** The bot's settings: mode selection, one clear line for every missing or conflicting setting. */
import { describe, expect, it } from "vitest";
import { isTriageError } from "../../core/errors.ts";
import { approverName, loadSlackSettings } from "./settings.ts";

const bot = { SLACK_BOT_TOKEN: "xoxb-1-2-abc" };

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isTriageError(error) && error.code === "BAD_INPUT") return error.message;
    throw error;
  }
  throw new Error("expected a BAD_INPUT refusal");
}

describe("loadSlackSettings", () => {
  it("picks Socket Mode when SLACK_APP_TOKEN is set, HTTP on the default port otherwise", () => {
    expect(
      loadSlackSettings({}, { ...bot, SLACK_APP_TOKEN: "xapp-1", SLACK_SIGNING_SECRET: "s3cret-s3cret" })
        .mode,
    ).toEqual({
      kind: "socket",
      appToken: "xapp-1",
    });
    const http = loadSlackSettings(
      { execute: true },
      { ...bot, SLACK_SIGNING_SECRET: "s3cret-s3cret", SLACK_APP_TOKEN: "" },
    );
    expect(http.mode).toEqual({
      kind: "http",
      signingSecret: "s3cret-s3cret",
      port: 3000,
      host: "127.0.0.1",
    });
    expect(http.dryRun).toBe(false);
    expect(http.apiUrl).toBeNull();
    expect(
      loadSlackSettings({ port: "0" }, { ...bot, SLACK_SIGNING_SECRET: "s3cret-s3cret" }).mode,
    ).toMatchObject({ port: 0 });
  });

  it("listens on 127.0.0.1 unless --host names another interface", () => {
    const env = { ...bot, SLACK_SIGNING_SECRET: "s3cret-s3cret" };
    expect(loadSlackSettings({}, env).mode).toMatchObject({ host: "127.0.0.1" });
    expect(loadSlackSettings({ host: "0.0.0.0" }, env).mode).toMatchObject({ host: "0.0.0.0" });
    expect(loadSlackSettings({ host: "::" }, env).mode).toMatchObject({ host: "::" });
    expect(loadSlackSettings({ host: "bot.internal" }, env).mode).toMatchObject({ host: "bot.internal" });
    expect(refusal(() => loadSlackSettings({ host: "a b" }, env))).toMatch(/^--host must be an IP address/);
    expect(
      refusal(() => loadSlackSettings({ host: "0.0.0.0" }, { ...bot, SLACK_APP_TOKEN: "xapp-1" })),
    ).toMatch(/^--host is for HTTP events, but SLACK_APP_TOKEN selects Socket Mode/);
  });

  it("reads the Web API URL and the approver map", () => {
    const settings = loadSlackSettings(
      {},
      {
        ...bot,
        SLACK_SIGNING_SECRET: "s3cret-s3cret",
        SLACK_API_URL: "http://127.0.0.1:9/api",
        SLACK_APPROVERS: " U0123ABCD=alice , W0456EFGH=bob ",
      },
    );
    expect(settings.apiUrl).toBe("http://127.0.0.1:9/api/");
    expect(settings.dryRun).toBe(true);
    expect(approverName(settings, "U0123ABCD")).toBe("alice");
    expect(approverName(settings, "W0456EFGH")).toBe("bob");
    expect(approverName(settings, "U0999ZZZZ")).toBe("slack:U0999ZZZZ");
  });

  it("refuses missing, malformed and conflicting settings with one line each", () => {
    const secret = { SLACK_SIGNING_SECRET: "s3cret-s3cret" };
    expect(refusal(() => loadSlackSettings({}, secret))).toBe(
      "SLACK_BOT_TOKEN is not set (the bot token, xoxb-…)",
    );
    expect(refusal(() => loadSlackSettings({}, { ...secret, SLACK_BOT_TOKEN: "xapp-oops" }))).toBe(
      "SLACK_BOT_TOKEN must be a bot token (xoxb-…)",
    );
    expect(refusal(() => loadSlackSettings({}, bot))).toMatch(
      /^set SLACK_APP_TOKEN \(Socket Mode\) or SLACK_SIGNING_SECRET/,
    );
    expect(refusal(() => loadSlackSettings({ port: "3001" }, { ...bot, SLACK_APP_TOKEN: "xapp-1" }))).toMatch(
      /^--port is for HTTP events, but SLACK_APP_TOKEN selects Socket Mode/,
    );
    expect(refusal(() => loadSlackSettings({}, { ...bot, SLACK_APP_TOKEN: "xoxb-wrong" }))).toMatch(
      /^SLACK_APP_TOKEN must be an app-level token/,
    );
    expect(refusal(() => loadSlackSettings({ port: "http" }, { ...bot, ...secret }))).toBe(
      "--port must be a whole number from 0 to 65535, got http",
    );
    expect(refusal(() => loadSlackSettings({}, { ...bot, ...secret, SLACK_API_URL: "ftp://x" }))).toBe(
      "SLACK_API_URL must be an http(s) URL",
    );
    expect(
      refusal(() => loadSlackSettings({}, { ...bot, ...secret, SLACK_APPROVERS: "U0123ABCD=alice,bob" })),
    ).toMatch(/^SLACK_APPROVERS: expected USERID=name pairs .*; got "bob"/);
    for (const message of [
      refusal(() => loadSlackSettings({}, {})),
      refusal(() => loadSlackSettings({}, { ...bot, ...secret, SLACK_APPROVERS: "U0123ABCD=al ice" })),
    ])
      expect(message).not.toContain("\n");
  });
});
