/** Small helpers shared by the fake servers tests start on 127.0.0.1. */
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * How a model endpoint (or the proxy before it) can fail beyond a tidy JSON error: any body of any size
 * (an HTML 502 page, a 5 KB JSON error, truncated JSON), a reset connection, or an echo of our request
 * headers (an API key included) in the error body.
 */
export type FailureReply =
  | { kind: "raw"; status: number; body: string; contentType?: string }
  | { kind: "reset" }
  | { kind: "echo"; status: number };

export function isFailureReply(reply: { kind: string }): reply is FailureReply {
  return reply.kind === "raw" || reply.kind === "reset" || reply.kind === "echo";
}

/** Answers with the failure; `reset` destroys the socket without an HTTP answer. */
export function sendFailure(req: IncomingMessage, res: ServerResponse, reply: FailureReply): void {
  switch (reply.kind) {
    case "reset":
      req.socket.destroy();
      return;
    case "raw":
      res.writeHead(reply.status, { "content-type": reply.contentType ?? "text/html" });
      res.end(reply.body);
      return;
    case "echo": {
      const headers = Object.entries(req.headers)
        .map(([name, value]) => `${name}: ${String(value)}`)
        .join("; ");
      res.writeHead(reply.status, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `rejected; you sent ${headers}`, type: "proxy_error" } }));
      return;
    }
  }
}

/** The request body parsed as a JSON object ({} when empty or not an object). */
export function readJsonBody(req: IncomingMessage): Promise<{ text: string; body: Record<string, unknown> }> {
  return new Promise((resolve) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString("utf8")));
    req.on("end", () => {
      let parsed: unknown = {};
      try {
        parsed = text ? JSON.parse(text) : {};
      } catch {
        parsed = {};
      }
      resolve({
        text,
        body: typeof parsed === "object" && parsed !== null ? Object.fromEntries(Object.entries(parsed)) : {},
      });
    });
  });
}
