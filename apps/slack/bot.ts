/**
 * The Slack bot: a Bolt app over the same triage runtime as the CLI. Socket Mode or HTTP events as the
 * settings say; a custom receiver in tests. Starting checks the bot token with auth.test, so a wrong token
 * is one clear line instead of a failure on the first command.
 */
import { App, LogLevel, type Logger, type Receiver } from "@slack/bolt";
import type { OpenedRuntime } from "../../agent/setup.ts";
import { describeError, TriageError } from "../../core/errors.ts";
import type { SlackCardStore } from "./card-store.ts";
import { GuardedHttpReceiver } from "./http-receiver.ts";
import { createSerializer, createTracker, type BotContext } from "./context.ts";
import { registerDecisionActions } from "./decision-action.ts";
import type { SlackSettings } from "./settings.ts";
import { registerTriageCommand } from "./triage-command.ts";
import { slackFailure, webClientOptions } from "./web-client.ts";

export type StartedBot =
  | { mode: "socket" }
  /** `address` is what the server is bound to, as the OS reports it. */
  | { mode: "http"; host: string; address: string; port: number }
  | { mode: "custom" };

export interface SlackBot {
  app: App;
  start: () => Promise<StartedBot>;
  /** Stops receiving, then waits for triages and decisions already under way. */
  stop: () => Promise<void>;
}

export interface SlackBotOptions {
  cards: SlackCardStore;
  /** Replaces the receiver the settings choose (tests drive the app through `app.processEvent`). */
  receiver?: Receiver;
  now?: () => Date;
  logger?: Logger;
  logLevel?: LogLevel;
}

function buildApp(settings: SlackSettings, options: SlackBotOptions): App {
  const common = {
    token: settings.botToken,
    clientOptions: webClientOptions(settings.apiUrl),
    logLevel: options.logLevel ?? LogLevel.WARN,
    // Bolt would otherwise call auth.test from the constructor, where a bad token becomes an unhandled
    // rejection; init() in start() makes the same check awaitable.
    deferInitialization: true,
    ...(options.logger ? { logger: options.logger } : {}),
  };
  if (options.receiver) return new App({ ...common, receiver: options.receiver });
  if (settings.mode.kind === "socket")
    return new App({
      ...common,
      socketMode: true,
      appToken: settings.mode.appToken,
      // The Socket Mode client reconnects through apps.connections.open with its own generous retries;
      // it must not inherit the few quick retries meant for chat calls.
      installerOptions: { clientOptions: settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {} },
    });
  const { signingSecret, host, port } = settings.mode;
  return new App({
    ...common,
    receiver: new GuardedHttpReceiver({
      signingSecret,
      host,
      port,
      logLevel: common.logLevel,
      ...(options.logger ? { logger: options.logger } : {}),
    }),
  });
}

export function createSlackBot(
  opened: OpenedRuntime,
  settings: SlackSettings,
  options: SlackBotOptions,
): SlackBot {
  const app = buildApp(settings, options);
  const tracker = createTracker();
  const context: BotContext = {
    opened,
    cards: options.cards,
    settings,
    now: options.now ?? (() => new Date()),
    track: tracker.track,
    serialize: createSerializer(),
  };
  registerTriageCommand(app, context);
  registerDecisionActions(app, context);
  let running = false;
  return {
    app,
    async start() {
      try {
        await app.init();
      } catch (error) {
        throw slackFailure("Slack auth.test with SLACK_BOT_TOKEN failed", error);
      }
      if (options.receiver) {
        await app.start();
        running = true;
        return { mode: "custom" };
      }
      if (settings.mode.kind === "socket") {
        try {
          await app.start();
        } catch (error) {
          throw slackFailure("Socket Mode connection with SLACK_APP_TOKEN failed", error);
        }
        running = true;
        return { mode: "socket" };
      }
      let server;
      try {
        server = await app.start();
      } catch (error) {
        throw new TriageError(
          "BAD_INPUT",
          `cannot listen on ${settings.mode.host} port ${settings.mode.port}: ${describeError(error)}`,
        );
      }
      running = true;
      const address = server.address();
      return {
        mode: "http",
        host: settings.mode.host,
        address: typeof address === "object" && address ? address.address : settings.mode.host,
        port: typeof address === "object" && address ? address.port : settings.mode.port,
      };
    },
    async stop() {
      if (running) await app.stop();
      running = false;
      await tracker.settled();
    },
  };
}
