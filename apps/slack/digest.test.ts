/** postBatchDigest against the fake Slack Web API: what is sent, and a refusal as one line. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isTriageError } from "../../core/errors.ts";
import type { BatchSummary } from "../batch.ts";
import { startFakeSlack, type FakeSlack } from "../testing/fake-slack.ts";
import { batchDigest, postBatchDigest } from "./digest.ts";

const summary: BatchSummary = {
  worker: "host:1:abc",
  listed: 3,
  triaged: 2,
  tookOver: 0,
  skippedAlreadyTaken: 0,
  byDisposition: { malicious: 1, benign: 1 },
  pendingApprovals: 1,
  failures: [{ alertId: "FX-BAD", error: "alert FX-BAD is malformed: severity: Invalid option" }],
  lostLeases: 0,
  recoveredCases: 0,
  stopped: false,
  notStarted: 0,
  abandoned: [],
  durationMs: 800,
  alertsPerSecond: 2.5,
};

let fake: FakeSlack;
beforeAll(async () => {
  fake = await startFakeSlack({ validTokens: ["xoxb-digest"] });
});
afterAll(() => fake.close());

describe("postBatchDigest", () => {
  it("posts the digest to the channel with the bot token, link previews off", async () => {
    await postBatchDigest({ token: "xoxb-digest", channel: "C0DIGEST", summary, slackApiUrl: fake.apiUrl });
    const [call] = fake.callsOf("chat.postMessage");
    const digest = batchDigest(summary);
    expect(call?.token).toBe("xoxb-digest");
    expect(call?.body).toMatchObject({ channel: "C0DIGEST", text: digest.text, unfurl_links: "false" });
    expect(call?.body.blocks).toEqual(JSON.parse(JSON.stringify(digest.blocks)));
  });

  it("turns Slack's refusal into one line: settings problems are the user's to fix", async () => {
    const attempt = (token: string, channel: string) =>
      postBatchDigest({ token, channel, summary, slackApiUrl: fake.apiUrl }).then(
        () => null,
        (error: unknown) => (isTriageError(error) ? [error.code, error.message] : error),
      );
    fake.failNext("chat.postMessage", "not_in_channel");
    expect(await attempt("xoxb-digest", "C0PRIVATE")).toEqual([
      "BAD_INPUT",
      "could not post the batch digest to C0PRIVATE: Slack answered not_in_channel",
    ]);
    expect(await attempt("xoxb-wrong", "C0DIGEST")).toEqual([
      "BAD_INPUT",
      "could not post the batch digest to C0DIGEST: Slack answered invalid_auth",
    ]);
    fake.failNext("chat.postMessage", "fatal_error");
    expect(await attempt("xoxb-digest", "C0DIGEST")).toEqual([
      "INTERNAL",
      "could not post the batch digest to C0DIGEST: Slack answered fatal_error",
    ]);
  });
});
