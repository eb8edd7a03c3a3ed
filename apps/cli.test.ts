/**
 * The CLI as a user runs it: real child processes over real files. Covers the main job, approvals from a
 * second process (once, never twice, also after a crash), and bad input that must write nothing.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { projectRoot } from "../agent/config.ts";
import { idempotencyKey } from "../agent/nodes/run-actions.ts";
import { SqliteCaseMemory } from "../memory/case-store.ts";
import { openCaseDatabase } from "../memory/db.ts";
import { proposedActionSchema } from "../core/domain.ts";
import { labActionLog as labActionLogOf, labScenarioAlerts } from "./testing/lab-scenarios.ts";
import { answerAtOnce, runCli } from "./testing/run-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "soc-triage-cli-"));
const env = {
  TRIAGE_DB: join(dir, "cases.db"),
  TRIAGE_LAB_DB: join(dir, "lab.db"),
  TRIAGE_POLICY: "",
  TRIAGE_CONFIG: "",
};
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const reportSchema = z.object({
  caseId: z.string(),
  alertId: z.string(),
  status: z.enum(["closed", "awaiting_approval"]),
  verdict: z.object({
    disposition: z.string(),
    confidence: z.number(),
    severity: z.string(),
    category: z.string(),
    attack: z.array(z.string()),
    summary: z.string(),
    evidenceIds: z.array(z.string()),
  }),
  evidence: z.array(z.object({ id: z.string(), tool: z.string() })),
  actions: z.array(
    z.object({
      id: z.string(),
      type: z.string(),
      target: z.string(),
      targetKind: z.string(),
      reason: z.string(),
      blastRadius: z.number(),
      targetTags: z.array(z.string()),
      decision: z.enum(["allow", "require_approval", "deny"]),
      rule: z.string(),
      status: z.enum(["executed", "dry_run", "pending_approval", "denied", "failed"]),
      detail: z.string(),
    }),
  ),
});
const report = (stdout: string) => reportSchema.parse(JSON.parse(stdout));

let alertOf: ReturnType<typeof labScenarioAlerts>;
beforeAll(() => {
  alertOf = labScenarioAlerts(env.TRIAGE_LAB_DB);
});
const labActionLog = (key: string) => labActionLogOf(env.TRIAGE_LAB_DB, key);

describe("triage CLI", () => {
  it("lists the lab's alerts as JSON", () => {
    const run = runCli(["lab", "list", "--json"], env);
    expect(run.code).toBe(0);
    const alerts = z
      .array(z.object({ id: z.string(), family: z.string(), title: z.string() }))
      .parse(JSON.parse(run.stdout));
    expect(alerts.length).toBeGreaterThanOrEqual(200);
  });

  it("triages an alert in dry-run mode and prints the report, as text and as JSON", () => {
    const id = alertOf("marketing_newsletter");
    const text = runCli([id], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Verdict: BENIGN/);
    const json = runCli([id, "--json"], env);
    const parsed = report(json.stdout);
    expect(parsed.verdict.disposition).toBe("benign");
    expect(parsed.actions.every((a) => a.status !== "executed")).toBe(true);
    expect(parsed.verdict.evidenceIds.every((e) => parsed.evidence.some((x) => x.id === e))).toBe(true);
    const cases = z
      .array(
        z.object({
          caseId: z.string(),
          alertId: z.string(),
          disposition: z.string().nullable(),
          status: z.string(),
        }),
      )
      .parse(JSON.parse(runCli(["cases", "list", "--json"], env).stdout));
    expect(cases.find((c) => c.caseId === parsed.caseId)).toMatchObject({
      alertId: id,
      disposition: "benign",
      status: "closed",
    });
  });

  it("keeps no checkpoint of a closed case (its report instead), and of a paused one the interrupt's, and shows both", () => {
    const checkpoints = (caseId: string) => {
      const db = new Database(env.TRIAGE_DB, { readonly: true });
      const row = db.prepare("SELECT COUNT(*) AS n FROM checkpoints WHERE thread_id = ?").get(caseId);
      db.close();
      return z.object({ n: z.number() }).parse(row).n;
    };
    // Not a reported message: a report of a known campaign is answered without the graph (no checkpoint).
    const closed = report(runCli([alertOf("impossible_travel_corporate_vpn"), "--json"], env).stdout);
    expect(checkpoints(closed.caseId)).toBe(0);
    expect(report(runCli(["cases", "show", closed.caseId, "--json"], env).stdout)).toEqual(closed);
    const late = runCli(["approve", closed.caseId, "--by", "alice"], env);
    expect(late.code).toBe(2);
    expect(late.stderr.trim()).toBe(`triage: case ${closed.caseId} is not waiting for approval`);

    const paused = report(runCli([alertOf("impossible_travel_attacker", 3), "--json"], env).stdout);
    // Checkpoints are written where a run stops (durability "exit"), not after every node: the interrupt's
    // is all a paused case needs to resume in another process.
    expect(checkpoints(paused.caseId)).toBe(1);
    const resumed = report(runCli(["approve", paused.caseId, "--by", "alice", "--json"], env).stdout);
    expect(resumed.status).toBe("closed");
    expect(checkpoints(paused.caseId)).toBe(0);
    expect(report(runCli(["cases", "show", paused.caseId, "--json"], env).stdout)).toEqual(resumed);
  });

  it("runs allowed actions at once, waits for a person on the rest, and an approval from another process runs them exactly once", () => {
    const first = runCli([alertOf("impossible_travel_attacker"), "--execute", "--json"], env);
    expect(first.code).toBe(3);
    const paused = report(first.stdout);
    expect(paused.status).toBe("awaiting_approval");
    const reset = paused.actions.find((a) => a.type === "reset_password");
    expect(reset).toMatchObject({ decision: "require_approval", status: "pending_approval" });
    expect(paused.actions.find((a) => a.type === "revoke_sessions")).toMatchObject({
      decision: "allow",
      status: "executed",
    });

    const approved = runCli(["approve", paused.caseId, "--by", "alice", "--json"], env);
    expect(approved.code).toBe(0);
    expect(report(approved.stdout).actions.find((a) => a.type === "reset_password")?.status).toBe("executed");
    const key = idempotencyKey(paused.alertId, proposedActionSchema.parse(reset), { dryRun: false });
    expect(labActionLog(key)).toBe(1);

    const again = runCli(["approve", paused.caseId, "--by", "alice"], env);
    expect(again.code).toBe(2);
    expect(again.stderr.trim()).toMatch(/^triage: case .* is already approved by alice$/);
    expect(labActionLog(key)).toBe(1);
    expect(runCli(["audit", "verify"], env).code).toBe(0);
  });

  it("of two people answering one case at once, from two processes, exactly one is recorded", async () => {
    const paused = report(runCli([alertOf("impossible_travel_attacker", 2), "--json"], env).stdout);
    const { approve, deny } = await answerAtOnce(paused.caseId, env);
    expect([approve.code, deny.code].sort()).toEqual([0, 2]);
    const loser = approve.code === 2 ? approve : deny;
    expect(loser.stderr.trim()).toMatch(
      /^triage: case .* is (already (approved|denied) by (alice|bob)|being answered by someone else)$/,
    );
    const db = new Database(env.TRIAGE_DB, { readonly: true });
    const answers = db.prepare("SELECT COUNT(*) AS n FROM approvals WHERE case_id = ?").get(paused.caseId);
    db.close();
    expect(z.object({ n: z.number() }).parse(answers).n).toBe(1);
  });

  it("a person's denial runs nothing that waited", () => {
    const paused = report(
      runCli([alertOf("impossible_travel_attacker", 1), "--execute", "--json"], env).stdout,
    );
    const denied = report(runCli(["approve", paused.caseId, "--deny", "--by", "bob", "--json"], env).stdout);
    expect(denied.actions.find((a) => a.type === "reset_password")?.status).toBe("denied");
  });

  it.each([
    ["after the responder acted", true],
    ["before the responder acted", false],
  ])(
    "never runs an action twice when a process crashed between claiming and finishing it (%s)",
    async (_label, responderActed) => {
      const paused = report(
        runCli([alertOf("impossible_travel_attacker", responderActed ? 2 : 3), "--execute", "--json"], env)
          .stdout,
      );
      const reset = proposedActionSchema.parse(paused.actions.find((a) => a.type === "reset_password"));
      const key = idempotencyKey(paused.alertId, reset, { dryRun: false });
      // Simulate the crash: the claim is recorded as started, and maybe the lab already acted, but nothing finished.
      const db = openCaseDatabase(env.TRIAGE_DB);
      expect(
        await new SqliteCaseMemory(db, { now: () => new Date() }).claimAction(paused.caseId, reset.id, key),
      ).toEqual({ claimed: true });
      db.close();
      if (responderActed) {
        const lab = new Database(env.TRIAGE_LAB_DB);
        lab
          .prepare(
            "INSERT INTO action_log (idempotency_key, action_type, target, detail, at) VALUES (?, ?, ?, ?, ?)",
          )
          .run(key, reset.type, reset.target, "forced a password reset", new Date().toISOString());
        lab.close();
      }
      const resumed = report(runCli(["approve", paused.caseId, "--by", "alice", "--json"], env).stdout);
      expect(resumed.actions.find((a) => a.id === reset.id)?.status).toBe("executed");
      expect(labActionLog(key)).toBe(1);
    },
  );
});

describe("bad input: one clear line, exit 2, nothing written", () => {
  it("unknown alert id", () => {
    const fresh = { ...env, TRIAGE_DB: join(dir, "unknown-alert.db") };
    const run = runCli(["LAB-9999"], fresh);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split("\n")).toEqual([expect.stringMatching(/unknown alert id LAB-9999/)]);
    expect(JSON.parse(runCli(["cases", "list", "--json"], fresh).stdout)).toEqual([]);
  });

  it("corrupt lab database", () => {
    const corrupt = join(dir, "corrupt-lab.db");
    writeFileSync(corrupt, "SQLite format 3\u0000 but then garbage ".repeat(200));
    const cases = join(dir, "corrupt-case.db");
    const run = runCli(["LAB-0001"], { ...env, TRIAGE_LAB_DB: corrupt, TRIAGE_DB: cases });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/is not a soc-triage lab database/),
    ]);
    expect(existsSync(cases)).toBe(false);
  });

  it("invalid policy file", () => {
    const policy = join(dir, "bad-policy.yaml");
    writeFileSync(policy, "version: 1\nrules:\n  - id: x\n    decision: perhaps\n");
    const cases = join(dir, "bad-policy-case.db");
    const run = runCli(["LAB-0001", "--policy", policy], { ...env, TRIAGE_DB: cases });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(/bad-policy\.yaml:4: rules\[0\]\.decision: /);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(cases)).toBe(false);
  });
});

describe("triage email", () => {
  const fixture = (name: string) => join(projectRoot, "tools", "analyzers", "email", "fixtures", name);

  it("triages a reported .eml file and keeps it in case memory", () => {
    const run = runCli(
      ["email", fixture("credential-phish.eml"), "--reporter", "dana.lee@northwindtraders.com", "--json"],
      env,
    );
    expect([0, 3]).toContain(run.code);
    const parsed = report(run.stdout);
    expect(parsed.alertId).toMatch(/^EML-[0-9a-f]{12}$/);
    expect(parsed.verdict.disposition).toBe("malicious");
    const cases = z
      .array(z.object({ alertId: z.string() }))
      .parse(JSON.parse(runCli(["cases", "list", "--json"], env).stdout));
    expect(cases.some((c) => c.alertId === parsed.alertId)).toBe(true);
  });

  it("triages every message of an mbox", () => {
    const mbox = join(dir, "two.mbox");
    const eml = (name: string) => readFileSync(fixture(name), "latin1");
    writeFileSync(
      mbox,
      `From a@example.org Mon Nov  2 08:00:00 2026\n${eml("credential-phish.eml")}\nFrom b@example.org Mon Nov  2 09:00:00 2026\n${eml("newsletter.eml")}`,
    );
    const run = runCli(["email", mbox, "--json"], env);
    const reports = z.array(reportSchema).parse(JSON.parse(run.stdout));
    expect(reports.map((r) => r.verdict.disposition)).toEqual(["malicious", "benign"]);
  });

  it("refuses a file that is not mail with one line and exit 2", () => {
    const junk = join(dir, "junk.eml");
    writeFileSync(junk, "\u0000\u0001 not a message");
    const run = runCli(["email", junk], env);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split("\n")).toEqual([expect.stringMatching(/has no mail headers/)]);
  });
});
