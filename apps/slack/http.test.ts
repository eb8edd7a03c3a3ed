/**
 * The HTTP events receiver over real HTTP on 127.0.0.1: requests signed as Slack signs them (HMAC-SHA256
 * of `v0:<timestamp>:<raw body>` with the signing secret, VENDORS.md §11) are served; a forged signature, a
 * body changed after signing and a timestamp more than five minutes old or ahead are refused before any
 * handler runs. The server listens on 127.0.0.1 unless told otherwise.
 */
import { createHmac } from "node:crypto";
import { LogLevel } from "@slack/bolt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caseReport } from "../../agent/run-triage.ts";
import { createSlackBot, type SlackBot } from "./bot.ts";
import { ACTION_IDS } from "./cards.ts";
import {
  buttonPress,
  caseIdOfCard,
  PAUSING_ALERT,
  readAudit,
  SIGNING_SECRET,
  slashCommand,
  startHarness,
  USERS,
  type Harness,
  until,
} from "./testing/harness.ts";

let h: Harness;
let bot: SlackBot;
let url: string;
let listening: string;

beforeAll(async () => {
  h = await startHarness("slack-http");
  bot = createSlackBot(h.opened, h.settings({}, { port: "0" }), { cards: h.cards, logLevel: LogLevel.ERROR });
  const started = await bot.start();
  if (started.mode !== "http") throw new Error(`expected HTTP mode, got ${started.mode}`);
  url = `http://127.0.0.1:${started.port}/slack/events`;
  listening = started.address;
});
afterAll(async () => {
  await bot.stop();
  await h.close();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);
const signature = (body: string, timestamp: number, secret = SIGNING_SECRET) =>
  `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;

async function send(
  body: string,
  options: { timestamp?: number; secret?: string; sentBody?: string } = {},
): Promise<{ status: number; text: string; ms: number }> {
  const timestamp = options.timestamp ?? nowSeconds();
  const started = performance.now();
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": String(timestamp),
      "x-slack-signature": signature(body, timestamp, options.secret),
    },
    body: options.sentBody ?? body,
  });
  return { status: response.status, text: await response.text(), ms: performance.now() - started };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const commandBody = (text: string) => form(slashCommand(text));
const caseCount = async () => (await h.opened.memory.listCases({ limit: 1000 })).length;

describe("HTTP events", () => {
  it("serves a correctly signed slash command and button press", async () => {
    const answer = await send(commandBody(PAUSING_ALERT));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({
      response_type: "ephemeral",
      text: `Triaging ${PAUSING_ALERT}…`,
    });
    const [post] = await h.fake.waitFor("chat.postMessage");
    const caseId = caseIdOfCard(post?.body);
    if (!caseId) throw new Error("the card has no Approve button");
    const card = await until(() => h.cards.find(caseId), "the card's location");

    const press = buttonPress({
      caseId,
      actionId: ACTION_IDS.approve,
      user: USERS.alice,
      messageTs: card.ts,
    });
    const pressed = await send(form({ payload: JSON.stringify(press) }));
    expect(pressed.status).toBe(200);
    await h.fake.waitFor("chat.update");
    await until(() => readAudit(h.db, caseId).find((a) => a.event === "slack.approval"), "the audit entry");
    expect((await caseReport(h.opened.runtime, caseId)).approval).toMatchObject({
      approved: true,
      by: "alice",
    });
  });

  it("refuses a forged signature, a body changed after signing and a stale timestamp, and runs nothing", async () => {
    const cases = await caseCount();
    const calls = h.fake.calls.length;
    const body = commandBody(PAUSING_ALERT);
    const forged = await send(body, { secret: "not-the-signing-secret" });
    const tampered = await send(body, { sentBody: commandBody("LAB-0001") });
    const stale = await send(body, { timestamp: nowSeconds() - 5 * 60 - 10 });
    expect([forged.status, tampered.status, stale.status]).toEqual([401, 401, 401]);
    // A signed request for the same command still works, so the refusals were about the signature.
    const fresh = await send(body, { timestamp: nowSeconds() - 60 });
    expect(fresh.status).toBe(200);
    await h.fake.waitFor("chat.postMessage", 2);
    expect(await caseCount()).toBe(cases + 1);
    expect(h.fake.calls.slice(calls).map((c) => c.method)).toEqual(["chat.postMessage"]);
  });

  it("refuses a correctly signed request stamped more than five minutes in the future", async () => {
    const cases = await caseCount();
    const posts = h.fake.calls.filter((c) => c.method === "chat.postMessage").length;
    const body = commandBody(PAUSING_ALERT);
    const future = await send(body, { timestamp: nowSeconds() + 10 * 60 });
    const justAhead = await send(body, { timestamp: nowSeconds() + 5 * 60 + 10 });
    expect([future.status, justAhead.status]).toEqual([401, 401]);
    const slightlyAhead = await send(body, { timestamp: nowSeconds() + 60 });
    expect(slightlyAhead.status).toBe(200);
    await h.fake.waitFor("chat.postMessage", posts + 1);
    expect(await caseCount()).toBe(cases + 1);
  });

  it("listens on 127.0.0.1 by default", () => {
    expect(listening).toBe("127.0.0.1");
  });

  it("stops listening when stopped", async () => {
    const other = createSlackBot(h.opened, h.settings({}, { port: "0" }), {
      cards: h.cards,
      logLevel: LogLevel.ERROR,
    });
    const started = await other.start();
    if (started.mode !== "http") throw new Error("expected HTTP mode");
    await other.stop();
    await expect(
      fetch(`http://127.0.0.1:${started.port}/slack/events`, { method: "POST" }),
    ).rejects.toThrow();
  });
});
