/**
 * Socket Mode end to end without a network: apps.connections.open on the fake Web API hands out the URL
 * of a fake Socket Mode server; Slack's own client connects, receives envelopes, and acknowledges them.
 */
import { LogLevel } from "@slack/bolt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caseReport } from "../../agent/run-triage.ts";
import { createSlackBot, type SlackBot } from "./bot.ts";
import { ACTION_IDS } from "./cards.ts";
import { startFakeSocketMode, type FakeSocketMode } from "./testing/fake-socket-mode.ts";
import {
  APP_TOKEN,
  buttonPress,
  caseIdOfCard,
  PAUSING_ALERT,
  slashCommand,
  startHarness,
  until,
  USERS,
  type Harness,
} from "./testing/harness.ts";

let socket: FakeSocketMode;
let h: Harness;
let bot: SlackBot;

beforeAll(async () => {
  socket = await startFakeSocketMode();
  h = await startHarness("slack-socket", { socketModeUrl: socket.url });
  bot = createSlackBot(h.opened, h.settings({ SLACK_APP_TOKEN: APP_TOKEN }), {
    cards: h.cards,
    logLevel: LogLevel.ERROR,
  });
});
afterAll(async () => {
  await bot.stop();
  await socket.close();
  await h.close();
});

describe("Socket Mode", () => {
  it("connects with the app token, answers /triage in the acknowledgement, posts the card and takes a decision", async () => {
    expect(await bot.start()).toEqual({ mode: "socket" });
    await socket.connected();
    const open = h.fake.callsOf("apps.connections.open");
    expect(open.map((c) => c.token)).toEqual([APP_TOKEN]);

    const ack = await socket.deliver("slash_commands", slashCommand(PAUSING_ALERT));
    expect(ack.payload).toEqual({ response_type: "ephemeral", text: `Triaging ${PAUSING_ALERT}…` });
    const [post] = await h.fake.waitFor("chat.postMessage");
    const caseId = caseIdOfCard(post?.body);
    if (!caseId) throw new Error("the card has no Approve button");
    const card = await until(() => h.cards.find(caseId), "the card's location");

    await socket.deliver(
      "interactive",
      buttonPress({ caseId, actionId: ACTION_IDS.approve, user: USERS.bob, messageTs: card.ts }),
    );
    await h.fake.waitFor("chat.update");
    expect((await caseReport(h.opened.runtime, caseId)).approval).toMatchObject({
      approved: true,
      by: "bob",
    });
  });
});
