/** Small helpers shared by the fake servers tests start on 127.0.0.1. */
import type { IncomingMessage } from "node:http";

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
