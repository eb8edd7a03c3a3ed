/**
 * The Slack bot's settings, read from the environment once, here. Socket Mode when SLACK_APP_TOKEN is set
 * (no public URL needed), else HTTP events verified with SLACK_SIGNING_SECRET. Every problem is one line
 * (TriageError BAD_INPUT), raised before anything is opened or written.
 */
import { z } from "zod";
import { TriageError } from "../../core/errors.ts";
import { secrets } from "../../core/redact.ts";
import { DEFAULT_HOST, DEFAULT_PORT } from "./defaults.ts";

export type SlackMode =
  { kind: "socket"; appToken: string } | { kind: "http"; signingSecret: string; port: number; host: string };

export interface SlackSettings {
  botToken: string;
  mode: SlackMode;
  /** Web API base ending in "/", or null for Slack itself. */
  apiUrl: string | null;
  /** Slack user id → approver name as the policy knows it. */
  approvers: ReadonlyMap<string, string>;
  dryRun: boolean;
}

export { DEFAULT_HOST, DEFAULT_PORT };

const envSchema = z.object({
  SLACK_BOT_TOKEN: z
    .string({ error: "SLACK_BOT_TOKEN is not set (the bot token, xoxb-…)" })
    .startsWith("xoxb-", { error: "SLACK_BOT_TOKEN must be a bot token (xoxb-…)" }),
  SLACK_APP_TOKEN: z
    .string()
    .startsWith("xapp-", {
      error: "SLACK_APP_TOKEN must be an app-level token (xapp-…) with connections:write",
    })
    .optional(),
  SLACK_SIGNING_SECRET: z.string().min(8, { error: "SLACK_SIGNING_SECRET is too short" }).optional(),
  SLACK_API_URL: z.url({ protocol: /^https?$/, error: "SLACK_API_URL must be an http(s) URL" }).optional(),
  SLACK_APPROVERS: z.string().optional(),
});

const approverEntry = z.tuple([
  z.string().regex(/^[UW][A-Z0-9]{2,}$/, { error: "a Slack user id such as U0123ABCD" }),
  z.string().regex(/^[^\s,=]+$/, { error: "an approver name without spaces" }),
]);

/** `U123=alice,U456=bob` → Map; names are what the policy's `approvers` lists use. */
export function parseApprovers(text: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const item of (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const parsed = approverEntry.safeParse(item.split("="));
    if (!parsed.success) {
      throw new TriageError(
        "BAD_INPUT",
        `SLACK_APPROVERS: expected USERID=name pairs such as U0123ABCD=alice,U0456EFGH=bob; got "${item}" (${parsed.error.issues[0]?.message ?? "invalid"})`,
      );
    }
    map.set(parsed.data[0], parsed.data[1]);
  }
  return map;
}

function parsePort(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535)
    throw new TriageError("BAD_INPUT", `--port must be a whole number from 0 to 65535, got ${text}`);
  return Number(text);
}

const hostSchema = z
  .string()
  .regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|[0-9A-Fa-f:.]{2,45})$/, {
    error: "an IP address or host name such as 127.0.0.1, 0.0.0.0 or ::",
  });

function parseHost(text: string): string {
  const parsed = hostSchema.safeParse(text);
  if (!parsed.success)
    throw new TriageError(
      "BAD_INPUT",
      `--host must be ${parsed.error.issues[0]?.message ?? "a host"}, got ${text}`,
    );
  return parsed.data;
}

/** Resolves the bot's settings from its flags and the environment (empty variables count as unset). */
export function loadSlackSettings(
  flags: { port?: string | undefined; host?: string | undefined; execute?: boolean | undefined },
  rawEnv: NodeJS.ProcessEnv = process.env,
): SlackSettings {
  const env = Object.fromEntries(Object.entries(rawEnv).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(env);
  if (!parsed.success)
    throw new TriageError("BAD_INPUT", parsed.error.issues[0]?.message ?? "bad Slack settings");
  const { SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL, SLACK_APPROVERS } =
    parsed.data;
  secrets.add(SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_SIGNING_SECRET);
  let mode: SlackMode;
  if (SLACK_APP_TOKEN) {
    for (const flag of ["port", "host"] as const)
      if (flags[flag] !== undefined)
        throw new TriageError(
          "BAD_INPUT",
          `--${flag} is for HTTP events, but SLACK_APP_TOKEN selects Socket Mode: drop --${flag} or unset SLACK_APP_TOKEN`,
        );
    mode = { kind: "socket", appToken: SLACK_APP_TOKEN };
  } else if (SLACK_SIGNING_SECRET) {
    mode = {
      kind: "http",
      signingSecret: SLACK_SIGNING_SECRET,
      port: flags.port === undefined ? DEFAULT_PORT : parsePort(flags.port),
      host: flags.host === undefined ? DEFAULT_HOST : parseHost(flags.host),
    };
  } else {
    throw new TriageError(
      "BAD_INPUT",
      "set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP events on --port) for the Slack bot",
    );
  }
  return {
    botToken: SLACK_BOT_TOKEN,
    mode,
    apiUrl: SLACK_API_URL ? SLACK_API_URL.replace(/\/*$/, "/") : null,
    approvers: parseApprovers(SLACK_APPROVERS),
    dryRun: !flags.execute,
  };
}

/** The approver name of a Slack user: the mapped name, else `slack:<userId>`. */
export function approverName(settings: Pick<SlackSettings, "approvers">, userId: string): string {
  return settings.approvers.get(userId) ?? `slack:${userId}`;
}
