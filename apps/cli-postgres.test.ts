/**
 * The CLI with case memory on PostgreSQL (TRIAGE_DB=postgres://…), as a user runs it: real child processes
 * against one database. Triage, `cases list|show`, approvals from other processes (exactly once) and
 * `audit verify` over a chain that several processes appended to. Skipped, saying why, where no PostgreSQL
 * server can be had (TRIAGE_TEST_POSTGRES, or the server binaries for a throwaway cluster).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { idempotencyKey } from "../agent/nodes/run-actions.ts";
import { proposedActionSchema } from "../core/domain.ts";
import { startTestPostgres } from "../memory/testing/postgres.ts";
import { labActionLog as labActionLogOf, labScenarioAlerts } from "./testing/lab-scenarios.ts";
import { answerAtOnce, runCli, runCliAsync } from "./testing/run-cli.ts";

const server = await startTestPostgres();
const skipReason = server.ok ? null : server.reason;
const dir = mkdtempSync(join(tmpdir(), "soc-triage-cli-pg-"));
const url = server.ok ? await server.postgres.database("cli") : "";
const env = {
  TRIAGE_DB: url,
  TRIAGE_LAB_DB: join(dir, "lab.db"),
  // The audit key and head of a PostgreSQL deployment live in the data directory.
  XDG_DATA_HOME: dir,
  TRIAGE_POLICY: "",
  TRIAGE_CONFIG: "",
};
afterAll(async () => {
  if (server.ok) await server.postgres.stop();
  rmSync(dir, { recursive: true, force: true });
});

const reportSchema = z.object({
  caseId: z.string(),
  alertId: z.string(),
  status: z.enum(["closed", "awaiting_approval"]),
  verdict: z.object({ disposition: z.string() }),
  actions: z.array(z.object({ id: z.string(), type: z.string(), status: z.string() })),
});
const report = (stdout: string) => reportSchema.parse(JSON.parse(stdout));

let alertOf: ReturnType<typeof labScenarioAlerts>;
beforeAll(() => {
  alertOf = labScenarioAlerts(env.TRIAGE_LAB_DB);
});
const labActionLog = (key: string) => labActionLogOf(env.TRIAGE_LAB_DB, key);

async function count(sql: string, params: string[]): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query(sql, params);
    return z.coerce.number().parse(z.object({ n: z.unknown() }).parse(result.rows[0]).n);
  } finally {
    await client.end();
  }
}

describe.skipIf(skipReason !== null)(
  `triage CLI on PostgreSQL${skipReason === null ? "" : ` (skipped: ${skipReason})`}`,
  () => {
    it("triages an alert into PostgreSQL, lists it and shows it from another process", async () => {
      const triaged = runCli([alertOf("impossible_travel_corporate_vpn"), "--json"], env);
      expect(triaged.stderr).toBe("");
      expect(triaged.code).toBe(0);
      const closed = report(triaged.stdout);
      expect(closed.status).toBe("closed");
      const listed = z
        .array(z.object({ caseId: z.string(), status: z.string(), disposition: z.string().nullable() }))
        .parse(JSON.parse(runCli(["cases", "list", "--json"], env).stdout));
      expect(listed.find((c) => c.caseId === closed.caseId)).toMatchObject({
        status: "closed",
        disposition: closed.verdict.disposition,
      });
      expect(report(runCli(["cases", "show", closed.caseId, "--json"], env).stdout)).toEqual(closed);
      // A closed case keeps its report, not its checkpoints (deleted from PostgresSaver's tables).
      expect(await count("SELECT COUNT(*) AS n FROM checkpoints WHERE thread_id = $1", [closed.caseId])).toBe(
        0,
      );
      expect(await count("SELECT COUNT(*) AS n FROM case_reports WHERE case_id = $1", [closed.caseId])).toBe(
        1,
      );
    });

    it("waits for a person, and an approval from another process runs the action exactly once", async () => {
      const first = runCli([alertOf("impossible_travel_attacker"), "--execute", "--json"], env);
      expect(first.code).toBe(3);
      const paused = report(first.stdout);
      const reset = paused.actions.find((a) => a.type === "reset_password");
      expect(reset?.status).toBe("pending_approval");
      const approved = runCli(["approve", paused.caseId, "--by", "alice", "--json"], env);
      expect(approved.code).toBe(0);
      expect(report(approved.stdout).actions.find((a) => a.type === "reset_password")?.status).toBe(
        "executed",
      );
      // Paused, it kept the checkpoints the approval resumed from; closed, only its report.
      expect(await count("SELECT COUNT(*) AS n FROM checkpoints WHERE thread_id = $1", [paused.caseId])).toBe(
        0,
      );
      expect(report(runCli(["cases", "show", paused.caseId, "--json"], env).stdout)).toEqual(
        report(approved.stdout),
      );
      const again = runCli(["approve", paused.caseId, "--by", "alice"], env);
      expect(again.code).toBe(2);
      expect(again.stderr.trim()).toMatch(/^triage: case .* is already approved by alice$/);
      expect(
        await count("SELECT COUNT(*) AS n FROM action_runs WHERE case_id = $1 AND status = 'executed'", [
          paused.caseId,
        ]),
      ).toBeGreaterThanOrEqual(1);
      const proposed = z
        .object({ actions: z.array(z.unknown()) })
        .parse(JSON.parse(first.stdout))
        .actions.map((a) => proposedActionSchema.parse(a))
        .find((a) => a.type === "reset_password");
      if (!proposed) throw new Error("no reset_password proposed");
      expect(labActionLog(idempotencyKey(paused.alertId, proposed, { dryRun: false }))).toBe(1);
    });

    it("of two people answering one case at once, from two processes, exactly one is recorded", async () => {
      const paused = report(runCli([alertOf("impossible_travel_attacker", 2), "--json"], env).stdout);
      const { approve, deny } = await answerAtOnce(paused.caseId, env);
      expect([approve.code, deny.code].sort()).toEqual([0, 2]);
      expect(await count("SELECT COUNT(*) AS n FROM approvals WHERE case_id = $1", [paused.caseId])).toBe(1);
    });

    it("verifies one audit chain written by every process, with its head file in the data directory", () => {
      const verified = runCli(["audit", "verify", "--json"], env);
      expect(verified.stderr).toBe("");
      expect(verified.code).toBe(0);
      const result = z
        .object({ ok: z.boolean(), entries: z.number(), keyed: z.number(), checked: z.array(z.string()) })
        .parse(JSON.parse(verified.stdout));
      expect(result).toMatchObject({ ok: true, checked: ["head file"] });
      expect(result.keyed).toBe(result.entries);
      expect(result.entries).toBeGreaterThan(10);
      const stem = join(
        dir,
        "soc-triage",
        `postgres-127.0.0.1-${new URL(url).port}-${new URL(url).pathname.slice(1)}`,
      );
      expect(existsSync(`${stem}.audit-key`)).toBe(true);
      expect(existsSync(`${stem}.audit-head`)).toBe(true);
    });

    it("runs reported mail (campaigns) and batches on PostgreSQL, each batch alert taken once", async () => {
      const reported = runCli([alertOf("marketing_newsletter"), "--json"], env);
      expect(reported.stderr).toBe("");
      expect(reported.code).toBe(0);
      expect(report(reported.stdout).verdict.disposition).toBe("benign");
      const summarySchema = z.object({
        listed: z.number(),
        triaged: z.number(),
        skippedAlreadyTaken: z.number(),
      });
      const [a, b] = await Promise.all([
        runCliAsync(["batch", "--limit", "8", "--json"], env),
        runCliAsync(["batch", "--limit", "8", "--json"], env),
      ]);
      expect([a.code, b.code]).toEqual([0, 0]);
      const [first, second] = [a, b].map((run) => summarySchema.parse(JSON.parse(run.stdout)));
      // Two racing batches over the same alerts: each alert is triaged by exactly one of them.
      expect((first?.triaged ?? 0) + (second?.triaged ?? 0)).toBe(8);
      expect((first?.skippedAlreadyTaken ?? 0) + (second?.skippedAlreadyTaken ?? 0)).toBe(8);
      expect(await count("SELECT COUNT(*) AS n FROM batch_claims WHERE status = $1", ["done"])).toBe(8);
    });
  },
);
