/** Batch triage from the CLI: two processes at once, and a poisoned alert in the middle. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createFixtureLab, FIXTURE } from "../tools/lab/testing/fixture.ts";
import { openLab } from "../tools/lab/index.ts";
import { runCliAsync } from "./testing/run-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "soc-triage-batch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const summarySchema = z.object({
  listed: z.number(),
  triaged: z.number(),
  skippedAlreadyTaken: z.number(),
  failures: z.array(z.object({ alertId: z.string(), error: z.string() })),
});

describe("triage batch", () => {
  it("two concurrent batches over one database triage every alert exactly once", async () => {
    const env = { TRIAGE_DB: join(dir, "cases.db"), TRIAGE_LAB_DB: join(dir, "lab.db") };
    openLab(env.TRIAGE_LAB_DB, { seed: 1337 }).close();
    const [a, b] = await Promise.all([
      runCliAsync(["batch", "--json", "--concurrency", "3"], env),
      runCliAsync(["batch", "--json", "--concurrency", "3"], env),
    ]);
    const sa = summarySchema.parse(JSON.parse(a?.stdout ?? ""));
    const sb = summarySchema.parse(JSON.parse(b?.stdout ?? ""));
    expect(sa.triaged + sb.triaged).toBe(sa.listed);
    expect(sa.triaged + sa.skippedAlreadyTaken).toBe(sa.listed);
    const db = new Database(env.TRIAGE_DB, { readonly: true });
    const perAlert = z
      .array(z.object({ n: z.number() }))
      .parse(db.prepare("SELECT COUNT(*) AS n FROM cases GROUP BY alert_id").all());
    db.close();
    expect(perAlert).toHaveLength(sa.listed);
    expect(perAlert.every((r) => r.n === 1)).toBe(true);
  });

  it("records a poisoned alert as failed with its reason and triages the rest", async () => {
    const labPath = join(dir, "poisoned-lab.db");
    const lab = createFixtureLab(labPath);
    const bad = {
      ...FIXTURE.alerts[0],
      id: "FX-BAD",
      severity: "apocalyptic",
      createdAt: "2026-11-03T10:10:00.000Z",
    };
    lab
      .prepare("INSERT INTO alerts (id, created_at, family, type, doc) VALUES (?, ?, ?, ?, ?)")
      .run(bad.id, bad.createdAt, "email", "user_reported_phish", JSON.stringify(bad));
    lab.close();
    const run = await runCliAsync(["batch", "--json"], {
      TRIAGE_DB: join(dir, "poisoned-cases.db"),
      TRIAGE_LAB_DB: labPath,
    });
    const summary = summarySchema.parse(JSON.parse(run.stdout));
    expect(run.code).toBe(1);
    expect(summary.triaged).toBe(2);
    expect(summary.failures).toEqual([{ alertId: "FX-BAD", error: expect.stringMatching(/FX-BAD/) }]);
  });

  it("refuses bad options with one line", async () => {
    const run = await runCliAsync(["batch", "--concurrency", "0"], {
      TRIAGE_DB: join(dir, "x.db"),
      TRIAGE_LAB_DB: join(dir, "lab.db"),
    });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("triage: --concurrency must be a whole number from 1 to 64, got 0");
  });
});
