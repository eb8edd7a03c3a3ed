/**
 * A scripted OpenAI-compatible server on 127.0.0.1 for tests: each POST /v1/chat/completions takes the next
 * scripted reply (a tool call round, a JSON answer for response_format, an HTTP error) and records the
 * request, so tests can assert both what the model was sent and what the engine did with the answer.
 */
import { createServer, type Server } from "node:http";
import { isFailureReply, readJsonBody, sendFailure, type FailureReply } from "./http.ts";
import type { AddressInfo } from "node:net";

export type ScriptedReply =
  | { kind: "tool_calls"; calls: Array<{ name: string; arguments: Record<string, unknown> }> }
  | { kind: "json"; value: unknown }
  | { kind: "text"; content: string }
  | { kind: "error"; status: number; retryAfter?: number }
  | FailureReply;

export interface RecordedRequest {
  body: Record<string, unknown>;
  text: string;
}

export interface FakeOpenAi {
  baseURL: string;
  requests: RecordedRequest[];
  close: () => Promise<void>;
}

/**
 * Two queues: requests asking for structured output (response_format) take `structured` replies, the rest
 * (planning with tools) take `plan` replies; an empty plan queue answers "done" without tool calls.
 */
export async function startFakeOpenAi(script: {
  plan?: ScriptedReply[];
  structured?: ScriptedReply[];
}): Promise<FakeOpenAi> {
  const requests: RecordedRequest[] = [];
  const plan = [...(script.plan ?? [])];
  const structured = [...(script.structured ?? [])];
  let n = 0;
  const server: Server = createServer((req, res) => {
    void readJsonBody(req).then(({ text, body }) => {
      requests.push({ body, text });
      n++;
      const reply: ScriptedReply = ("response_format" in body ? structured.shift() : plan.shift()) ?? {
        kind: "text",
        content: "done",
      };
      if (isFailureReply(reply)) return sendFailure(req, res, reply);
      if (reply.kind === "error") {
        res.writeHead(reply.status, {
          "content-type": "application/json",
          ...(reply.retryAfter !== undefined ? { "retry-after": String(reply.retryAfter) } : {}),
        });
        res.end(JSON.stringify({ error: { message: `scripted ${reply.status}`, type: "server_error" } }));
        return;
      }
      const message: {
        role: string;
        content: string | null;
        tool_calls?: Array<{ id: string; type: string; function: { name: string; arguments: string } }>;
      } =
        reply.kind === "tool_calls"
          ? {
              role: "assistant",
              content: null,
              tool_calls: reply.calls.map((c, i) => ({
                id: `call_${n}_${i}`,
                type: "function",
                function: { name: c.name, arguments: JSON.stringify(c.arguments) },
              })),
            }
          : {
              role: "assistant",
              content: reply.kind === "json" ? JSON.stringify(reply.value) : reply.content,
            };
      const usage = {
        prompt_tokens: Math.ceil(text.length / 4),
        completion_tokens: 20,
        total_tokens: Math.ceil(text.length / 4) + 20,
      };
      if (body.stream === true) {
        // Server-sent events as the API streams them: role, then content or tool-call argument pieces,
        // the finish reason, and a last chunk with usage (the client asks for it with include_usage).
        res.writeHead(200, { "content-type": "text/event-stream" });
        const event = (choices: unknown[], extra: Record<string, unknown> = {}) =>
          res.write(
            `data: ${JSON.stringify({ id: `chatcmpl-${n}`, object: "chat.completion.chunk", created: 1_760_000_000, model: "gpt-4o-mini", choices, ...extra })}\n\n`,
          );
        const delta = (d: Record<string, unknown>, finish: string | null = null) =>
          event([{ index: 0, delta: d, finish_reason: finish }]);
        delta({ role: "assistant", content: "" });
        for (const [index, call] of (message.tool_calls ?? []).entries()) {
          const args = call.function.arguments;
          const half = Math.floor(args.length / 2);
          delta({
            tool_calls: [
              {
                index,
                id: call.id,
                type: "function",
                function: { name: call.function.name, arguments: args.slice(0, half) },
              },
            ],
          });
          delta({ tool_calls: [{ index, function: { arguments: args.slice(half) } }] });
        }
        const content = message.content ?? "";
        for (let i = 0; i < content.length; i += 16) delta({ content: content.slice(i, i + 16) });
        delta({}, message.tool_calls ? "tool_calls" : "stop");
        event([], { usage });
        res.end("data: [DONE]\n\n");
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: `chatcmpl-${n}`,
          object: "chat.completion",
          created: 1_760_000_000,
          model: "gpt-4o-mini",
          choices: [
            { index: 0, message, finish_reason: reply.kind === "tool_calls" ? "tool_calls" : "stop" },
          ],
          usage: {
            prompt_tokens: Math.ceil(text.length / 4),
            completion_tokens: 20,
            total_tokens: Math.ceil(text.length / 4) + 20,
          },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string")
    throw new Error("fake OpenAI server has no TCP address");
  const { port }: AddressInfo = address;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
