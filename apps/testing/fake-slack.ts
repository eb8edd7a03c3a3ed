/**
 * A fake Slack Web API on 127.0.0.1 for tests. Answers like Slack (HTTP 200, `{ok:true,…}` or
 * `{ok:false,error}`) for auth.test, chat.postMessage, chat.update, chat.postEphemeral and (given a Socket
 * Mode URL) apps.connections.open with an app-level token; checks the bot
 * token and Block Kit's limits, keeps the messages it was sent so chat.update of an unknown message fails,
 * and records every call (method, token, body with `blocks` decoded). Any other path stands in for a
 * `response_url` and is recorded as a hook.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { z } from "zod";

export interface SlackCall {
  method: string;
  token: string | null;
  body: Record<string, unknown>;
}

export interface FakeSlack {
  /** Base for WebClient's slackApiUrl, ending in "/". */
  apiUrl: string;
  /** A response_url that this server records. */
  responseUrl: string;
  calls: SlackCall[];
  hooks: Array<Record<string, unknown>>;
  callsOf: (method: string) => SlackCall[];
  /** The next call of `method` answers `{ok:false, error}`. */
  failNext: (method: string, error: string) => void;
  /** Resolves when a call of `method` has been recorded `count` times (default once). */
  waitFor: (method: string, count?: number, timeoutMs?: number) => Promise<SlackCall[]>;
  close: () => Promise<void>;
}

const textSchema = z.object({ type: z.string(), text: z.string() });
const blockSchema = z.looseObject({
  type: z.string(),
  text: textSchema.optional(),
  fields: z.array(textSchema).optional(),
  elements: z.array(z.looseObject({ type: z.string(), text: z.unknown().optional() })).optional(),
});

/** Slack's `invalid_blocks` checks that matter here: counts and text lengths. */
function blocksProblem(value: unknown): string | null {
  const blocks = z.array(blockSchema).safeParse(value);
  if (!blocks.success) return "invalid_blocks_format";
  if (blocks.data.length > 50) return "invalid_blocks";
  for (const block of blocks.data) {
    const textMax = block.type === "header" ? 150 : 3000;
    if (block.text && block.text.text.length > textMax) return "invalid_blocks";
    if (block.fields && (block.fields.length > 10 || block.fields.some((f) => f.text.length > 2000)))
      return "invalid_blocks";
    if (block.type === "context" && (block.elements?.length ?? 0) > 10) return "invalid_blocks";
    for (const element of block.elements ?? []) {
      const label = textSchema.safeParse(element.text);
      if (element.type === "button" && label.success && label.data.text.length > 75) return "invalid_blocks";
    }
  }
  return null;
}

function readBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let text = "";
    request.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    request.on("end", () => {
      const body: Record<string, unknown> = {};
      if ((request.headers["content-type"] ?? "").startsWith("application/json")) {
        try {
          const parsed: unknown = JSON.parse(text || "{}");
          if (typeof parsed === "object" && parsed !== null) Object.assign(body, parsed);
        } catch {
          // An unparsable body is recorded as empty; the method then fails on missing fields, as Slack does.
        }
      } else {
        for (const [key, value] of new URLSearchParams(text)) {
          let decoded: unknown = value;
          if (key === "blocks" || key === "attachments") {
            try {
              decoded = JSON.parse(value);
            } catch {
              decoded = value;
            }
          }
          body[key] = decoded;
        }
      }
      resolve(body);
    });
  });
}

export async function startFakeSlack(
  options: { validTokens?: string[]; socketModeUrl?: string } = {},
): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const hooks: Array<Record<string, unknown>> = [];
  const failures = new Map<string, string[]>();
  const messages = new Map<string, { channel: string; text: unknown; blocks: unknown }>();
  const waiters: Array<() => void> = [];
  let seq = 0;
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);

  const answer = (
    method: string,
    token: string | null,
    body: Record<string, unknown>,
  ): Record<string, unknown> => {
    if (!token) return { ok: false, error: "not_authed" };
    if (options.validTokens && !options.validTokens.includes(token))
      return { ok: false, error: "invalid_auth" };
    const scripted = failures.get(method)?.shift();
    if (scripted) return { ok: false, error: scripted };
    const channel = str(body.channel);
    switch (method) {
      case "auth.test":
        return {
          ok: true,
          url: "https://fake.slack.test/",
          team: "Fake",
          user: "triage",
          team_id: "T0FAKE",
          user_id: "U0BOT",
          bot_id: "B0BOT",
        };
      case "chat.postMessage": {
        if (!channel) return { ok: false, error: "channel_not_found" };
        if (!str(body.text) && body.blocks === undefined) return { ok: false, error: "no_text" };
        const problem = body.blocks === undefined ? null : blocksProblem(body.blocks);
        if (problem) return { ok: false, error: problem };
        const ts = `1800000000.${String(++seq).padStart(6, "0")}`;
        messages.set(`${channel}/${ts}`, { channel, text: body.text, blocks: body.blocks });
        return {
          ok: true,
          channel,
          ts,
          message: { type: "message", bot_id: "B0BOT", ts, text: body.text, blocks: body.blocks },
        };
      }
      case "chat.update": {
        const ts = str(body.ts);
        if (!channel || !ts) return { ok: false, error: "invalid_arguments" };
        if (!messages.has(`${channel}/${ts}`)) return { ok: false, error: "message_not_found" };
        const problem = body.blocks === undefined ? null : blocksProblem(body.blocks);
        if (problem) return { ok: false, error: problem };
        messages.set(`${channel}/${ts}`, { channel, text: body.text, blocks: body.blocks });
        return { ok: true, channel, ts, text: body.text };
      }
      case "apps.connections.open":
        if (!token.startsWith("xapp-")) return { ok: false, error: "not_allowed_token_type" };
        return options.socketModeUrl
          ? { ok: true, url: options.socketModeUrl }
          : { ok: false, error: "internal_error" };
      case "chat.postEphemeral":
        if (!channel) return { ok: false, error: "channel_not_found" };
        if (!str(body.user)) return { ok: false, error: "user_not_in_channel" };
        if (!str(body.text) && body.blocks === undefined) return { ok: false, error: "no_text" };
        return { ok: true, message_ts: `1800000000.${String(++seq).padStart(6, "0")}` };
      default:
        return { ok: false, error: "unknown_method" };
    }
  };

  const server: Server = createServer((request, response) => {
    void readBody(request).then((body) => {
      const path = new URL(request.url ?? "/", "http://fake").pathname;
      const auth = /^Bearer (.+)$/.exec(request.headers.authorization ?? "");
      if (!path.startsWith("/api/")) {
        hooks.push(body);
        response.writeHead(200, { "content-type": "text/plain" }).end("ok");
      } else {
        const method = path.slice("/api/".length);
        const token = auth?.[1] ?? str(body.token);
        calls.push({ method, token, body });
        response.writeHead(200, { "content-type": "application/json; charset=utf-8" });
        response.end(JSON.stringify(answer(method, token, body)));
      }
      for (const wake of waiters.splice(0)) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("fake Slack has no TCP address");
  const base = `http://127.0.0.1:${address.port}`;
  const callsOf = (method: string) => calls.filter((c) => c.method === method);
  return {
    apiUrl: `${base}/api/`,
    responseUrl: `${base}/response/T0FAKE/1/hook`,
    calls,
    hooks,
    callsOf,
    failNext: (method, error) => failures.set(method, [...(failures.get(method) ?? []), error]),
    waitFor: async (method, count = 1, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (callsOf(method).length < count) {
        if (Date.now() > deadline)
          throw new Error(`fake Slack: no ${count}× ${method} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return callsOf(method);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
