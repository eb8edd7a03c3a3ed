/** `triage batch --slack-channel`: the run's digest is posted with the bot token; without one, nothing runs. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixtureLab } from "../tools/lab/testing/fixture.ts";
import { startFakeSlack, type FakeSlack } from "./testing/fake-slack.ts";
import { runCliAsync } from "./testing/run-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "soc-triage-digest-"));
let slack: FakeSlack;
beforeAll(async () => {
  slack = await startFakeSlack({ validTokens: ["xoxb-digest"] });
  createFixtureLab(join(dir, "lab.db")).close();
});
afterAll(async () => {
  await slack.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("batch digest to Slack", () => {
  it("posts the run's counts to the channel after the batch", async () => {
    const run = await runCliAsync(["batch", "--slack-channel", "C0DIGEST"], {
      TRIAGE_DB: join(dir, "cases.db"),
      TRIAGE_LAB_DB: join(dir, "lab.db"),
      SLACK_BOT_TOKEN: "xoxb-digest",
      SLACK_API_URL: slack.apiUrl,
    });
    expect(run.code).toBe(0);
    const posts = slack.callsOf("chat.postMessage");
    expect(posts).toHaveLength(1);
    expect(posts[0]?.body).toMatchObject({ channel: "C0DIGEST" });
    expect(JSON.stringify(posts[0]?.body.blocks)).toContain("Batch triage: 2 of 2 alerts");
  });

  it("reports a digest Slack refused on stderr without failing the batch", async () => {
    slack.failNext("chat.postMessage", "channel_not_found");
    const run = await runCliAsync(["batch", "--slack-channel", "C0GONE"], {
      TRIAGE_DB: join(dir, "cases-2.db"),
      TRIAGE_LAB_DB: join(dir, "lab.db"),
      SLACK_BOT_TOKEN: "xoxb-digest",
      SLACK_API_URL: slack.apiUrl,
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^triage: digest not posted to C0GONE: .*channel_not_found/m);
  });

  it("refuses --slack-channel without a bot token, with one line, before any work", async () => {
    const db = join(dir, "never.db");
    const run = await runCliAsync(["batch", "--slack-channel", "C0DIGEST"], {
      TRIAGE_DB: db,
      TRIAGE_LAB_DB: join(dir, "lab.db"),
      SLACK_BOT_TOKEN: "",
    });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("triage: --slack-channel needs SLACK_BOT_TOKEN in the environment");
    expect(existsSync(db)).toBe(false);
  });
});
