/**
 * A closed case keeps its final report, not its LangGraph checkpoints. Every graph step checkpoints the
 * whole state (most of a case's bytes); a closed case never resumes, and its report is all that
 * `triage cases show` and a late approval's answer read. Paused cases keep their checkpoints: the approval
 * resumes from them, in any process.
 */
import { z } from "zod";
import { deflateJson, inflateJson } from "./packing.ts";
import type { SqlExecutor } from "./sql/driver.ts";
import type { CaseDatabaseDriver } from "./sql/open.ts";

const reportRowSchema = z.object({ report: z.instanceof(Uint8Array) });
const countRowSchema = z.object({ n: z.number() });

/** Stores (or replaces) the final report of `caseId`, deflated. */
export async function saveCaseReport(db: SqlExecutor, caseId: string, report: unknown): Promise<void> {
  await db.run(
    `INSERT INTO case_reports (case_id, report) VALUES (?, ?)
     ON CONFLICT (case_id) DO UPDATE SET report = excluded.report`,
    [caseId, deflateJson(report)],
  );
}

/** The final report kept for `caseId` (to be parsed by the caller), or null when none was kept. */
export async function caseReportOf(db: SqlExecutor, caseId: string): Promise<unknown> {
  const row = await db.get("SELECT report FROM case_reports WHERE case_id = ?", [caseId]);
  return row === undefined ? null : inflateJson(reportRowSchema.parse(row).report);
}

/**
 * Keeps `report` for closed case `caseId` and deletes its checkpoints, in one transaction, so a crash
 * leaves both or the checkpoints alone, never neither. On SQLite the LangGraph saver shares the
 * connection, so its deleteThread runs inside the transaction. PostgresSaver works on its own pool
 * clients, which cannot join a driver transaction: there its tables (checkpoints, checkpoint_blobs,
 * checkpoint_writes of @langchain/langgraph-checkpoint-postgres 1.x) are deleted from directly.
 */
export async function closeCaseCheckpoints(
  driver: CaseDatabaseDriver,
  caseId: string,
  report: unknown,
): Promise<void> {
  if (driver.dialect === "postgres") {
    const table = await driver.get("SELECT to_regclass('checkpoint_blobs') IS NOT NULL AS present");
    const present = z.object({ present: z.boolean() }).parse(table).present;
    await driver.transaction(async (tx) => {
      await saveCaseReport(tx, caseId, report);
      if (!present) return;
      for (const name of ["checkpoint_writes", "checkpoint_blobs", "checkpoints"])
        await tx.run(`DELETE FROM ${name} WHERE thread_id = ?`, [caseId]);
    });
    return;
  }
  const tables = await driver.get(
    "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('checkpoints', 'writes')",
  );
  // Loaded here, not at start: listing cases should not load LangGraph.
  const saver =
    countRowSchema.parse(tables).n < 2
      ? null
      : new (await import("@langchain/langgraph-checkpoint-sqlite")).SqliteSaver(driver.database);
  await driver.transaction(async (tx) => {
    await saveCaseReport(tx, caseId, report);
    await saver?.deleteThread(caseId);
  });
}
