/**
 * HTTP events for the Slack bot: Bolt's HTTPReceiver (signature check, routing, acks) behind our own
 * server, for two things Bolt does not do. It refuses a request whose timestamp is more than five minutes
 * in the future as well as in the past (Bolt checks only the past, so a signed request captured from a
 * machine with a fast clock could be replayed for as long as that clock is ahead), and it listens on the
 * host we choose: 127.0.0.1 unless `--host` says otherwise, never every interface by default.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { HTTPReceiver, type App, type Logger, type LogLevel, type Receiver } from "@slack/bolt";

/** Slack's own replay window: https://api.slack.com/authentication/verifying-requests-from-slack */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

/** Whether a request's `X-Slack-Request-Timestamp` is within five minutes of now, either way. */
export function isFreshTimestamp(header: string | undefined, nowMs: number): boolean {
  if (header === undefined || !/^\d{1,12}$/.test(header.trim())) return false;
  return Math.abs(Number(header) - nowMs / 1000) <= MAX_CLOCK_SKEW_SECONDS;
}

function timestampOf(request: IncomingMessage): string | undefined {
  const value = request.headers["x-slack-request-timestamp"];
  return Array.isArray(value) ? value[0] : value;
}

export interface GuardedReceiverOptions {
  signingSecret: string;
  host: string;
  port: number;
  now?: () => number;
  logger?: Logger;
  logLevel?: LogLevel;
}

export class GuardedHttpReceiver implements Receiver {
  private readonly inner: HTTPReceiver;
  private server: Server | null = null;

  constructor(private readonly options: GuardedReceiverOptions) {
    this.inner = new HTTPReceiver({
      signingSecret: options.signingSecret,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    });
  }

  init(app: App): void {
    this.inner.init(app);
  }

  start(): Promise<Server> {
    const now = this.options.now ?? Date.now;
    const server = createServer((request, response) => {
      if (!isFreshTimestamp(timestampOf(request), now())) {
        // Before the body is read or any handler runs, as for a bad signature.
        response.writeHead(401, { "content-type": "text/plain" });
        response.end("request timestamp is more than five minutes from now");
        request.resume();
        return;
      }
      this.inner.requestListener(request, response);
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off("error", reject);
        this.server = server;
        resolve(server);
      });
    });
  }

  stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return Promise.resolve();
    return new Promise((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    });
  }
}
