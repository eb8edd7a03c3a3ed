/**
 * A scripted Ollama server on 127.0.0.1 for tests: POST /api/chat answers NDJSON (the client always
 * streams), with tool calls as objects (Ollama's shape: no ids, arguments not stringified) or a JSON answer
 * for requests carrying a `format` schema.
 */
import { createServer } from "node:http";
import { isFailureReply, readJsonBody, sendFailure, type FailureReply } from "./http.ts";

export type OllamaReply =
  | { kind: "tool_calls"; calls: Array<{ name: string; arguments: Record<string, unknown> }> }
  | { kind: "json"; value: unknown }
  | { kind: "text"; content: string }
  | { kind: "error"; status: number }
  | FailureReply;

export interface FakeOllama {
  host: string;
  requests: Array<Record<string, unknown>>;
  close: () => Promise<void>;
}

export async function startFakeOllama(script: {
  plan?: OllamaReply[];
  structured?: OllamaReply[];
}): Promise<FakeOllama> {
  const requests: Array<Record<string, unknown>> = [];
  const plan = [...(script.plan ?? [])];
  const structured = [...(script.structured ?? [])];
  const server = createServer((req, res) => {
    void readJsonBody(req).then(({ text, body }) => {
      requests.push(body);
      const reply: OllamaReply = (body.format !== undefined ? structured.shift() : plan.shift()) ?? {
        kind: "text",
        content: "done",
      };
      if (isFailureReply(reply)) return sendFailure(req, res, reply);
      if (reply.kind === "error") {
        res.writeHead(reply.status, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: `scripted ${reply.status}` }));
        return;
      }
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      const line = (message: Record<string, unknown>, done: boolean, extra: Record<string, unknown> = {}) =>
        res.write(
          `${JSON.stringify({ model: "llama3.1", created_at: "2026-11-22T00:00:00Z", message: { role: "assistant", content: "", ...message }, done, ...extra })}\n`,
        );
      if (reply.kind === "tool_calls")
        line(
          { tool_calls: reply.calls.map((c) => ({ function: { name: c.name, arguments: c.arguments } })) },
          false,
        );
      else {
        const content = reply.kind === "json" ? JSON.stringify(reply.value) : reply.content;
        for (let i = 0; i < content.length; i += 20) line({ content: content.slice(i, i + 20) }, false);
      }
      line({}, true, { done_reason: "stop", prompt_eval_count: Math.ceil(text.length / 4), eval_count: 20 });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string")
    throw new Error("fake Ollama server has no TCP address");
  return {
    host: `http://127.0.0.1:${address.port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
