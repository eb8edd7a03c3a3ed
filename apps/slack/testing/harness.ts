/**
 * A real bot for tests: the seeded lab, a policy that names its approvers, real SQLite case memory in a
 * temp dir, the real graph, and a fake Slack Web API. Payload builders follow Slack's shapes (VENDORS.md
 * §11); `readAudit` reads the hash-chained audit log back.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { defaultPolicyPath, loadConfig, type TriageConfig } from "../../../agent/config.ts";
import { openRuntime, type OpenedRuntime } from "../../../agent/setup.ts";
import { openCaseDatabase, type CaseDatabase } from "../../../memory/db.ts";
import { openLab } from "../../../tools/lab/index.ts";
import { startFakeSlack, type FakeSlack } from "../../testing/fake-slack.ts";
import { SlackCardStore } from "../card-store.ts";
import { loadSlackSettings, type SlackSettings } from "../settings.ts";

export const BOT_TOKEN = "xoxb-test-token";
export const SIGNING_SECRET = "test-signing-secret";
export const APP_TOKEN = "xapp-1-A0APP-test";
export const CHANNEL = "C0SOC0001";
export const USERS = { alice: "U0ALICE01", bob: "U0BOB0001", mallory: "U0MALLORY" } as const;
/** A lab alert whose default-policy triage runs two actions and waits for a person on reset_password. */
export const PAUSING_ALERT = "LAB-0027";

export interface Harness {
  dir: string;
  config: TriageConfig;
  opened: OpenedRuntime;
  db: CaseDatabase;
  cards: SlackCardStore;
  fake: FakeSlack;
  settings: (env?: Record<string, string>, flags?: { port?: string }) => SlackSettings;
  close: () => Promise<void>;
}

/** The default policy with its "anyone" approvers replaced by alice and bob. */
function writeNamedApproverPolicy(dir: string): string {
  const text = readFileSync(defaultPolicyPath, "utf8");
  const named = text.replace('default: ["*"]', "default: [alice, bob]");
  if (named === text) throw new Error('the default policy no longer has default: ["*"]; update the harness');
  const path = join(dir, "policy.yaml");
  writeFileSync(path, named);
  return path;
}

export async function startHarness(
  prefix: string,
  options: { socketModeUrl?: string } = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), `soc-triage-${prefix}-`));
  const labDb = join(dir, "lab.db");
  openLab(labDb, { seed: 1337 }).close();
  const config = loadConfig({ db: join(dir, "cases.db"), labDb, policy: writeNamedApproverPolicy(dir) }, {});
  const opened = await openRuntime(config);
  const db = openCaseDatabase(config.databasePath);
  const fake = await startFakeSlack({ validTokens: [BOT_TOKEN, APP_TOKEN], ...options });
  return {
    dir,
    config,
    opened,
    db,
    cards: new SlackCardStore(opened.memory.driver, { now: () => new Date() }),
    fake,
    settings: (env = {}, flags = {}) =>
      loadSlackSettings(flags, {
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: fake.apiUrl,
        SLACK_APPROVERS: `${USERS.alice}=alice,${USERS.bob}=bob`,
        ...env,
      }),
    close: async () => {
      await fake.close();
      db.close();
      await opened.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function slashCommand(text: string, options: { user?: string; responseUrl?: string } = {}) {
  return {
    token: "legacy-verification-token",
    command: "/triage",
    text,
    response_url: options.responseUrl ?? "https://hooks.slack.com/commands/T0FAKE/1/x",
    trigger_id: "13345224609.738474920.8088930838d88f008e0",
    user_id: options.user ?? USERS.alice,
    user_name: "someone",
    team_id: "T0FAKE",
    team_domain: "fake",
    channel_id: CHANNEL,
    channel_name: "soc-alerts",
    api_app_id: "A0APP",
  };
}

export function buttonPress(options: {
  caseId: string;
  actionId: string;
  user: string;
  messageTs: string;
  responseUrl?: string;
}) {
  return {
    type: "block_actions",
    user: { id: options.user, username: "someone", name: "someone", team_id: "T0FAKE" },
    api_app_id: "A0APP",
    token: "legacy-verification-token",
    container: { type: "message", message_ts: options.messageTs, channel_id: CHANNEL, is_ephemeral: false },
    trigger_id: "123.456.abc",
    team: { id: "T0FAKE", domain: "fake" },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: CHANNEL, name: "soc-alerts" },
    message: { type: "message", ts: options.messageTs, text: "card", bot_id: "B0BOT", blocks: [] },
    state: { values: {} },
    response_url: options.responseUrl ?? "https://hooks.slack.com/actions/T0FAKE/1/x",
    actions: [
      {
        type: "button",
        block_id: "triage_decision",
        action_id: options.actionId,
        action_ts: "1800000100.000001",
        value: options.caseId,
        text: { type: "plain_text", text: "Approve", emoji: true },
      },
    ],
  };
}

const auditRowSchema = z.object({
  actor: z.string(),
  event: z.string(),
  payload: z.string().transform((text): unknown => JSON.parse(text)),
});

export function readAudit(db: CaseDatabase, caseId: string) {
  return z
    .array(auditRowSchema)
    .parse(
      db.prepare("SELECT actor, event, payload FROM audit_log WHERE case_id = ? ORDER BY seq").all(caseId),
    );
}

const postedCardSchema = z.object({
  channel: z.string(),
  blocks: z.array(z.looseObject({ type: z.string() })),
});
const buttonSchema = z.object({ action_id: z.string(), value: z.string() });

/** The case id carried by the Approve button of a posted card (null when it has none). */
export function caseIdOfCard(body: unknown): string | null {
  const card = postedCardSchema.parse(body);
  for (const block of card.blocks) {
    const elements = z.array(z.unknown()).safeParse(block.elements);
    for (const element of elements.success ? elements.data : []) {
      const button = buttonSchema.safeParse(element);
      if (button.success && button.data.action_id === "triage_approve") return button.data.value;
    }
  }
  return null;
}

/** Polls until `probe` returns a value (work after an HTTP ack finishes a moment later). */
export async function until<T>(
  probe: () => T | null | undefined | Promise<T | null | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
