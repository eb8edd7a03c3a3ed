/**
 * `triage slack` as an operator runs it: a real child process in HTTP mode against the fake Slack API,
 * serving a signed slash command, then stopping cleanly on SIGTERM; and one-line refusals of bad settings
 * that leave no database behind.
 */
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../agent/config.ts";
import { openLab } from "../../tools/lab/index.ts";
import { startFakeSlack, type FakeSlack } from "../testing/fake-slack.ts";
import { runCliAsync } from "../testing/run-cli.ts";
import {
  BOT_TOKEN,
  caseIdOfCard,
  CHANNEL,
  PAUSING_ALERT,
  SIGNING_SECRET,
  slashCommand,
} from "./testing/harness.ts";

const dir = mkdtempSync(join(tmpdir(), "soc-triage-slack-cli-"));
let fake: FakeSlack;
const base = () => ({
  TRIAGE_DB: join(dir, "cases.db"),
  TRIAGE_LAB_DB: join(dir, "lab.db"),
  TRIAGE_POLICY: "",
  TRIAGE_CONFIG: "",
  TRIAGE_LLM: "",
  SLACK_BOT_TOKEN: BOT_TOKEN,
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  SLACK_APP_TOKEN: "",
  SLACK_APPROVERS: "",
  SLACK_API_URL: fake.apiUrl,
});

beforeAll(async () => {
  fake = await startFakeSlack({ validTokens: [BOT_TOKEN] });
  openLab(join(dir, "lab.db"), { seed: 1337 }).close();
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("triage slack", () => {
  it("serves /triage over HTTP with the CLI's runtime and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, [join(projectRoot, "bin", "triage.js"), "slack", "--port", "0"], {
      cwd: projectRoot,
      env: { ...process.env, ...base(), NO_COLOR: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString("utf8");
        const match = /listening \(HTTP events on 127\.0\.0\.1 port (\d+)\)/.exec(stdout);
        if (match) resolve(Number(match[1]));
      });
      void exited.then(() => reject(new Error(`triage slack exited early: ${stderr}`)));
    });
    expect(stdout).toContain("dry run");

    const body = new URLSearchParams(slashCommand(PAUSING_ALERT)).toString();
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await fetch(`http://127.0.0.1:${port}/slack/events`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": String(timestamp),
        "x-slack-signature": `v0=${createHmac("sha256", SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest("hex")}`,
      },
      body,
    });
    expect(response.status).toBe(200);
    const [post] = await fake.waitFor("chat.postMessage");
    expect(post?.body).toMatchObject({ channel: CHANNEL });
    expect(caseIdOfCard(post?.body)).toMatch(/^case-/);

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stdout).toContain("stopping on SIGTERM");
    expect(stderr).toBe("");
  });

  it("refuses missing or rejected settings with one line, before touching the case database", async () => {
    const db = join(dir, "never.db");
    const [missing, rejected] = await Promise.all([
      runCliAsync(["slack"], { ...base(), TRIAGE_DB: db, SLACK_SIGNING_SECRET: "" }),
      runCliAsync(["slack", "--port", "0"], { ...base(), SLACK_BOT_TOKEN: "xoxb-revoked" }),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      "triage: set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP events on --port) for the Slack bot\n",
    );
    expect(existsSync(db)).toBe(false);
    expect(rejected.code).toBe(2);
    expect(rejected.stderr).toBe(
      "triage: Slack auth.test with SLACK_BOT_TOKEN failed: Slack answered invalid_auth\n",
    );
  });
});
