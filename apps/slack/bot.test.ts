/**
 * The bot end to end without a network: Slack events go through Bolt (`app.processEvent`, as Slack's own
 * receivers call it), the Web API is a fake Slack on 127.0.0.1, and triage runs on the seeded lab with real
 * SQLite case memory and the real graph. The policy names alice and bob as approvers.
 */
import { LogLevel, type App, type Receiver } from "@slack/bolt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caseReport } from "../../agent/run-triage.ts";
import { createSlackBot, type SlackBot } from "./bot.ts";
import { ACTION_IDS, verdictCard } from "./cards.ts";
import {
  buttonPress,
  CHANNEL,
  caseIdOfCard,
  PAUSING_ALERT,
  readAudit,
  slashCommand,
  startHarness,
  USERS,
  type Harness,
} from "./testing/harness.ts";
import { USAGE } from "./triage-command.ts";

/** A receiver with no server: hands Slack payloads to Bolt and notes what was true when ack() ran. */
class TestReceiver implements Receiver {
  private app: App | null = null;
  constructor(private readonly snapshot: () => Promise<{ methods: string[]; cases: number }>) {}
  init(app: App): void {
    this.app = app;
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async send(body: Record<string, unknown>) {
    if (!this.app) throw new Error("receiver not initialised");
    let acked: { response: unknown; at: { methods: string[]; cases: number } } | null = null;
    await this.app.processEvent({
      body,
      ack: async (response?: unknown) => {
        acked = { response: response ?? null, at: await this.snapshot() };
      },
    });
    if (!acked) throw new Error("the handler never acknowledged");
    // processEvent resolves after the handler, so everything it did is recorded by now.
    return acked as { response: unknown; at: { methods: string[]; cases: number } };
  }
}

let h: Harness;
let receiver: TestReceiver;
let bot: SlackBot;

beforeAll(async () => {
  h = await startHarness("slack-bot");
  receiver = new TestReceiver(async () => ({
    methods: h.fake.calls.map((c) => c.method),
    cases: (await h.opened.memory.listCases({ limit: 1000 })).length,
  }));
  bot = createSlackBot(h.opened, h.settings(), { cards: h.cards, receiver, logLevel: LogLevel.ERROR });
  await bot.start();
});
afterAll(async () => {
  await bot.stop();
  await h.close();
});

const last = (method: string) => {
  const call = h.fake.callsOf(method).at(-1);
  if (!call) throw new Error(`no ${method} call`);
  return call;
};

/** Runs `/triage <alert>` and returns the new case and where its card went. */
async function triage(alertId = PAUSING_ALERT) {
  const posts = h.fake.callsOf("chat.postMessage").length;
  const result = await receiver.send(slashCommand(alertId));
  expect(h.fake.callsOf("chat.postMessage")).toHaveLength(posts + 1);
  const post = last("chat.postMessage");
  const caseId = caseIdOfCard(post.body);
  if (!caseId) throw new Error("the card has no Approve button");
  const card = await h.cards.find(caseId);
  if (!card) throw new Error("the card's location was not stored");
  return { result, post, caseId, card };
}

const press = (caseId: string, actionId: string, user: string, messageTs: string) =>
  receiver.send(buttonPress({ caseId, actionId, user, messageTs }));

describe("/triage", () => {
  it("acknowledges at once, then posts the verdict card to the channel and stores where it went", async () => {
    const { result, post, caseId, card } = await triage();
    expect(result.response).toEqual({ response_type: "ephemeral", text: `Triaging ${PAUSING_ALERT}…` });
    // ack() ran before the case existed and before any card was posted.
    expect(result.at.methods).not.toContain("chat.postMessage");
    expect(result.at.cases).toBe((await h.opened.memory.listCases({ limit: 1000 })).length - 1);

    const report = await caseReport(h.opened.runtime, caseId);
    expect(report).toMatchObject({ alertId: PAUSING_ALERT, status: "awaiting_approval", dryRun: true });
    expect(report.verdict.disposition).toBe("malicious");
    expect(post.token).toBe("xoxb-test-token");
    expect(post.body).toMatchObject({ channel: CHANNEL, unfurl_links: "false", unfurl_media: "false" });
    expect(post.body.blocks).toEqual(JSON.parse(JSON.stringify(verdictCard(report).blocks)));
    expect(post.body.text).toBe(verdictCard(report).text);
    expect(JSON.stringify(post.body.blocks)).toContain("status: *pending_approval*");
    expect(card).toMatchObject({
      caseId,
      channel: CHANNEL,
      ts: expect.stringMatching(/^1800000000\.\d{6}$/),
    });
    expect((await h.opened.memory.getCase(caseId)).status).toBe("awaiting_approval");
  });

  it("answers an unknown alert id with one short ephemeral line and posts no card", async () => {
    const posts = h.fake.callsOf("chat.postMessage").length;
    const cases = (await h.opened.memory.listCases({ limit: 1000 })).length;
    const { response } = await receiver.send(slashCommand("LAB-9999", { user: USERS.bob }));
    expect(response).toEqual({ response_type: "ephemeral", text: "Triaging LAB-9999…" });
    expect(last("chat.postEphemeral").body).toMatchObject({
      channel: CHANNEL,
      user: USERS.bob,
      text: "unknown alert id LAB-9999 in source lab",
    });
    expect(h.fake.callsOf("chat.postMessage")).toHaveLength(posts);
    expect(await h.opened.memory.listCases({ limit: 1000 })).toHaveLength(cases);
  });

  it("answers a missing or malformed alert id with the usage line and triages nothing", async () => {
    const cases = (await h.opened.memory.listCases({ limit: 1000 })).length;
    for (const text of ["", "   ", "<!channel>", "LAB-1 LAB-2"]) {
      const { response } = await receiver.send(slashCommand(text));
      expect(response).toEqual({ response_type: "ephemeral", text: USAGE });
    }
    expect(await h.opened.memory.listCases({ limit: 1000 })).toHaveLength(cases);
  });

  it("falls back to the response URL when it cannot post ephemerally, and says why a card failed", async () => {
    h.fake.failNext("chat.postMessage", "not_in_channel");
    h.fake.failNext("chat.postEphemeral", "not_in_channel");
    const hooks = h.fake.hooks.length;
    await receiver.send(slashCommand(PAUSING_ALERT, { responseUrl: h.fake.responseUrl }));
    expect(h.fake.hooks.slice(hooks)).toEqual([
      {
        response_type: "ephemeral",
        replace_original: false,
        text: expect.stringMatching(
          /^case-\w+ is triaged, but its card could not be posted: Slack answered not_in_channel$/,
        ),
      },
    ]);
  });
});

describe("Approve / Deny", () => {
  it("refuses a person the policy does not name, with an ephemeral reason; the case keeps waiting", async () => {
    const { caseId, card } = await triage();
    const updates = h.fake.callsOf("chat.update").length;
    const { response } = await press(caseId, ACTION_IDS.approve, USERS.mallory, card.ts);
    expect(response).toBeNull();
    expect(last("chat.postEphemeral").body).toMatchObject({
      channel: CHANNEL,
      user: USERS.mallory,
      text: `You may not decide ${caseId}: slack:${USERS.mallory} may not approve act-2 (rule password-and-account-need-a-person); approvers: alice, bob`,
    });
    expect(h.fake.callsOf("chat.update")).toHaveLength(updates);
    expect((await caseReport(h.opened.runtime, caseId)).status).toBe("awaiting_approval");
    expect((await h.opened.memory.getCase(caseId)).status).toBe("awaiting_approval");
    const audit = readAudit(h.db, caseId);
    expect(audit.map((a) => a.event)).not.toContain("approval.granted");
    expect(audit.at(-1)).toMatchObject({
      actor: `person:slack:${USERS.mallory}`,
      event: "slack.approval_refused",
      payload: { slackUserId: USERS.mallory, approved: true },
    });
  });

  it("approval by a named approver resumes the case, updates the card and audits the Slack user; a second press changes nothing", async () => {
    const { caseId, card } = await triage();
    const { at } = await press(caseId, ACTION_IDS.approve, USERS.alice, card.ts);
    expect(at.methods.filter((m) => m === "chat.update")).toHaveLength(
      h.fake.callsOf("chat.update").length - 1,
    );

    const report = await caseReport(h.opened.runtime, caseId);
    expect(report.status).toBe("closed");
    expect(report.approval).toMatchObject({ approved: true, by: "alice" });
    expect(report.actions.find((a) => a.id === "act-2")).toMatchObject({
      type: "reset_password",
      status: "dry_run",
    });
    expect((await h.opened.memory.getCase(caseId)).status).toBe("closed");

    const update = last("chat.update");
    expect(update.body).toMatchObject({ channel: CHANNEL, ts: card.ts });
    expect(update.body.blocks).toEqual(JSON.parse(JSON.stringify(verdictCard(report).blocks)));
    const shown = JSON.stringify(update.body.blocks);
    expect(shown).toContain("*Approved* by alice");
    expect(shown).not.toContain(ACTION_IDS.approve);
    expect(shown).not.toContain("pending_approval");

    const audit = readAudit(h.db, caseId);
    expect(audit).toContainEqual({
      actor: "person:alice",
      event: "approval.granted",
      payload: { actionIds: [], comment: `via Slack by ${USERS.alice}` },
    });
    expect(audit.filter((a) => a.event === "slack.approval")).toEqual([
      {
        actor: "person:alice",
        event: "slack.approval",
        payload: { approved: true, slackUserId: USERS.alice },
      },
    ]);

    // Bob presses Deny on the stale card: told who decided, nothing resumes, the card shows the decision.
    await press(caseId, ACTION_IDS.deny, USERS.bob, card.ts);
    expect(last("chat.postEphemeral").body).toMatchObject({
      channel: CHANNEL,
      user: USERS.bob,
      text: `case ${caseId} is already approved by alice`,
    });
    expect((await caseReport(h.opened.runtime, caseId)).approval).toMatchObject({
      approved: true,
      by: "alice",
    });
    expect(
      readAudit(h.db, caseId).filter((a) => a.event.startsWith("approval.") || a.event === "slack.approval"),
    ).toHaveLength(2);
    expect(last("chat.update").body.blocks).toEqual(JSON.parse(JSON.stringify(verdictCard(report).blocks)));
  });

  it("deny by a named approver closes the case with the waiting action denied and the allowed ones untouched", async () => {
    const { caseId, card } = await triage();
    await press(caseId, ACTION_IDS.deny, USERS.bob, card.ts);
    const report = await caseReport(h.opened.runtime, caseId);
    expect(report.approval).toMatchObject({ approved: false, by: "bob" });
    expect(report.actions.map((a) => [a.id, a.status])).toEqual([
      ["act-1", "dry_run"],
      ["act-2", "denied"],
      ["act-3", "dry_run"],
    ]);
    expect(JSON.stringify(last("chat.update").body.blocks)).toContain("*Denied* by bob");
    expect(readAudit(h.db, caseId).filter((a) => a.event === "slack.approval")).toEqual([
      { actor: "person:bob", event: "slack.approval", payload: { approved: false, slackUserId: USERS.bob } },
    ]);
  });

  it("two presses at the same moment resume the case once", async () => {
    const { caseId, card } = await triage();
    const ephemerals = h.fake.callsOf("chat.postEphemeral").length;
    await Promise.all([
      press(caseId, ACTION_IDS.approve, USERS.alice, card.ts),
      press(caseId, ACTION_IDS.deny, USERS.bob, card.ts),
    ]);
    const audit = readAudit(h.db, caseId);
    expect(audit.filter((a) => a.event === "slack.approval")).toHaveLength(1);
    expect(audit.filter((a) => a.event.startsWith("approval."))).toHaveLength(1);
    const notes = h.fake.callsOf("chat.postEphemeral").slice(ephemerals);
    expect(notes.map((n) => n.body.text)).toEqual([
      expect.stringMatching(/^case case-\w+ is already (approved|denied) by (alice|bob)$/),
    ]);
  });

  it("ignores a payload whose button carries no usable case id", async () => {
    const calls = h.fake.calls.length;
    const { response } = await press("<!channel>", ACTION_IDS.approve, USERS.alice, "1800000000.000001");
    expect(response).toBeNull();
    expect(h.fake.calls).toHaveLength(calls);
  });
});
