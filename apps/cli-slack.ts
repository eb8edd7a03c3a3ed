/** `triage slack`: the Slack bot over the same runtime as the CLI, until SIGINT or SIGTERM. */
import type { Command } from "commander";
import type { ConfigOverrides } from "../agent/config.ts";
import { DEFAULT_HOST, DEFAULT_PORT } from "./slack/defaults.ts";
import { EXIT, print } from "./output.ts";

interface Shared {
  addCommon: (command: Command) => Command;
  overrides: (options: ConfigOverrides & { json?: boolean }) => ConfigOverrides;
  setExit: (code: number) => void;
}

type Options = ConfigOverrides & { json?: boolean; port?: string; host?: string; execute?: boolean };

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

async function slackCommand(options: Options, overrides: Shared["overrides"]): Promise<number> {
  const [{ loadSlackSettings }, { loadConfig }, { openRuntime }] = await Promise.all([
    import("./slack/settings.ts"),
    import("../agent/config.ts"),
    import("../agent/setup.ts"),
  ]);
  // Settings first: a missing token must fail before any database is opened or created.
  const settings = loadSlackSettings({ port: options.port, host: options.host, execute: options.execute });
  const config = loadConfig(overrides(options));
  const opened = await openRuntime(config);
  try {
    // Bolt loads only once the settings are good and the runtime is open.
    const [{ createSlackBot }, { SlackCardStore }] = await Promise.all([
      import("./slack/bot.ts"),
      import("./slack/card-store.ts"),
    ]);
    const bot = createSlackBot(opened, settings, {
      cards: new SlackCardStore(opened.memory.driver, { now: () => new Date() }),
    });
    const started = await bot.start();
    const signal = untilSignal();
    const where =
      started.mode === "http" ? `HTTP events on ${started.host} port ${started.port}` : "Socket Mode";
    print(
      `triage slack: listening (${where}), ${settings.dryRun ? "dry run" : "executing allowed actions"}; Ctrl-C stops`,
    );
    print(`stopping on ${await signal}`);
    await bot.stop();
    return EXIT.ok;
  } finally {
    await opened.close();
  }
}

export function registerSlackCommand(program: Command, { addCommon, overrides, setExit }: Shared): void {
  addCommon(
    program
      .command("slack")
      .description(
        "run the Slack bot: /triage <alert-id>, verdict cards, Approve/Deny buttons (env SLACK_BOT_TOKEN, and SLACK_APP_TOKEN or SLACK_SIGNING_SECRET)",
      )
      .option("--port <n>", `HTTP port for events when not in Socket Mode (default ${DEFAULT_PORT})`)
      .option(
        "--host <address>",
        `interface for HTTP events (default ${DEFAULT_HOST}; 0.0.0.0 or :: for every interface)`,
      )
      .option("--execute", "run the actions the policy allows (default: dry run)"),
  ).action(async (options: Options) => setExit(await slackCommand(options, overrides)));
}
