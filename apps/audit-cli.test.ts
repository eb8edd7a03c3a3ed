/**
 * The audit log through the real `triage` binary: a case's whole life is in the keyed chain, an untouched
 * log verifies (exit 0), and tampering fails `triage audit verify` with one line naming the first bad
 * entry (exit 1); a missing anchor file is the user's mistake (exit 2). memory/audit.test.ts has the rest.
 */
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { readGroundTruth } from "../tools/lab/ground-truth.ts";
import { openLab } from "../tools/lab/index.ts";
import { runCli } from "./testing/run-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "soc-triage-audit-cli-"));
const db = join(dir, "cases.db");
const env = { TRIAGE_DB: db, TRIAGE_LAB_DB: join(dir, "lab.db"), TRIAGE_POLICY: "", TRIAGE_CONFIG: "" };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let alertId = "";
beforeAll(() => {
  const lab = openLab(env.TRIAGE_LAB_DB, { seed: 1337 });
  alertId = readGroundTruth(lab).find((t) => t.scenario === "impossible_travel_attacker")?.alertId ?? "";
  lab.close();
});

const caseSchema = z.object({ caseId: z.string() });
const eventSchema = z.object({ seq: z.number(), event: z.string() });

function events(): Array<z.infer<typeof eventSchema>> {
  const raw = new Database(db, { readonly: true });
  const rows = raw.prepare("SELECT seq, event FROM audit_log ORDER BY seq").all();
  raw.close();
  return rows.map((r) => eventSchema.parse(r));
}

/** Raw SQL past the append-only triggers, as someone holding the database file (not the key) could. */
function tamper(sql: string): void {
  const raw = new Database(db);
  raw.exec("DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;");
  raw.exec(sql);
  raw.close();
}

function snapshot(): () => void {
  copyFileSync(db, join(dir, "snapshot.db"));
  copyFileSync(`${db}.audit-head`, join(dir, "snapshot.head"));
  return () => {
    for (const suffix of ["-wal", "-shm"]) if (existsSync(`${db}${suffix}`)) unlinkSync(`${db}${suffix}`);
    copyFileSync(join(dir, "snapshot.db"), db);
    copyFileSync(join(dir, "snapshot.head"), `${db}.audit-head`);
  };
}

// Child processes on a shared CPU: each step may take a while.
const SLOW = 180_000;
const anchorFile = join(dir, "anchor.json");
let headWhilePaused = 0;
let restore = () => {};

describe("triage audit", () => {
  it(
    "records a case's whole life in the keyed chain; the untouched log verifies",
    () => {
      const paused = runCli([alertId, "--execute", "--json"], env);
      expect(paused.code).toBe(3);
      const { caseId } = caseSchema.parse(JSON.parse(paused.stdout));
      copyFileSync(`${db}.audit-head`, join(dir, "head-while-paused"));
      headWhilePaused = events().length;
      expect(runCli(["approve", caseId, "--by", "alice"], env).code).toBe(0);
      expect(runCli(["cases", "feedback", caseId, "malicious", "--by", "bob"], env).code).toBe(0);
      expect(new Set(events().map((e) => e.event))).toEqual(
        new Set([
          "case.created",
          "alert.loaded",
          "verdict.assessed",
          "policy.decided",
          "action.started",
          "action.executed",
          "action.pending_approval",
          "case.awaiting_approval",
          "approval.granted",
          "case.closed",
          "case.feedback",
        ]),
      );

      const intact = runCli(["audit", "verify"], env);
      expect(intact).toMatchObject({ code: 0, stderr: "" });
      expect(intact.stdout).toMatch(/^audit log intact: \d+ entries \(\d+ keyed\); checked head file\n$/);
      expect(runCli(["audit", "anchor", "--out", anchorFile], env).code).toBe(0);
      expect(runCli(["audit", "verify", "--anchor", anchorFile], env).stdout).toMatch(
        /checked head file and anchor\n$/,
      );
      restore = snapshot();
    },
    SLOW,
  );

  it(
    "a forged approval and deleted last rows each fail verify with one line naming the entry",
    () => {
      // A forged approval: the denial-free log gains an approval.granted nobody gave.
      tamper("UPDATE audit_log SET event = 'approval.granted' WHERE event = 'case.awaiting_approval'");
      const forged = runCli(["audit", "verify"], env);
      const forgedSeq = events().find((e) => e.event === "approval.granted")?.seq;
      expect(forged.code).toBe(1);
      expect(forged.stdout).toBe(
        `audit log BROKEN at entry ${forgedSeq}: entry does not match its MAC (altered, or written without the audit key)\n`,
      );
      restore();

      // Another key in the key file: the very first row no longer verifies.
      const key = `${db}.audit-key`;
      copyFileSync(key, join(dir, "key.bak"));
      writeFileSync(key, `${randomBytes(32).toString("hex")}\n`);
      const swapped = runCli(["audit", "verify"], env);
      expect(swapped.code).toBe(1);
      expect(swapped.stdout).toMatch(/^audit log BROKEN at entry 1: entry does not match its MAC/);
      copyFileSync(join(dir, "key.bak"), key);

      // The last rows deleted: the head file beside the key still names them.
      const total = events().length;
      tamper(`DELETE FROM audit_log WHERE seq > ${total - 2}`);
      const cut = runCli(["audit", "verify"], env);
      expect(cut.code).toBe(1);
      expect(cut.stdout.trim().split("\n")).toEqual([
        `audit log BROKEN at entry ${total - 1}: entries ${total - 1}..${total} named by the head file are gone (deleted)`,
      ]);
    },
    SLOW,
  );

  it(
    "with the head file rolled back as well, the exported anchor still catches the cut",
    () => {
      // The head file rolled back to an older copy as well, only the exported anchor can tell.
      tamper(`DELETE FROM audit_log WHERE seq > ${headWhilePaused}`);
      copyFileSync(join(dir, "head-while-paused"), `${db}.audit-head`);
      expect(runCli(["audit", "verify"], env).code).toBe(0);
      const anchored = runCli(["audit", "verify", "--anchor", anchorFile], env);
      expect(anchored.code).toBe(1);
      expect(anchored.stdout).toMatch(
        new RegExp(
          `^audit log BROKEN at entry ${headWhilePaused + 1}: .* named by the anchor are gone \\(deleted\\)\\n$`,
        ),
      );

      const missing = runCli(["audit", "verify", "--anchor", join(dir, "nowhere.json")], env);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toBe(`triage: no anchor file ${join(dir, "nowhere.json")}\n`);
    },
    SLOW,
  );
});
