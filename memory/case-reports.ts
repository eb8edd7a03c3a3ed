/**
 * A closed case keeps its final report, not its LangGraph checkpoints. Every graph step checkpoints the
 * whole state (most of a case's bytes); a closed case never resumes, and its report is all that
 * `triage cases show` and a late approval's answer read. Paused cases keep their checkpoints: the approval
 * resumes from them, in any process. The report repeats the case's alert, verdict, evidence and steps
 * rows: it is kept without those parts (migration 11's from_rows) whenever the rows give them back exactly.
 */
import { z } from "zod";
import { TriageError } from "../core/errors.ts";
import { deflateJson, inflateJson } from "./packing.ts";
import {
  caseRowsOf,
  FROM_ROWS,
  reportObjectSchema,
  withoutParts,
  withRows,
  type ReportObject,
} from "./report-rows.ts";
import type { SqlExecutor } from "./sql/driver.ts";
import type { CaseDatabaseDriver } from "./sql/open.ts";

const reportRowSchema = z.object({ report: z.instanceof(Uint8Array), from_rows: z.number() });
const countRowSchema = z.object({ n: z.number() });

/** The parts to try leaving to the rows, most first: all, then all but one, then each alone. */
const PARTS = Object.values(FROM_ROWS);
const ALL = PARTS.reduce((all, part) => all | part, 0);
const TRIED = [ALL, ...PARTS.map((part) => ALL & ~part), ...PARTS];

/**
 * What to keep of `report` for `caseId`: without the most parts the case's rows rebuild byte for byte
 * (memory/report-rows.ts), else whole. They can differ: rows hold redacted arguments, a call run again
 * adds steps.
 */
async function keptForm(
  db: SqlExecutor,
  caseId: string,
  report: unknown,
): Promise<{ kept: unknown; parts: number }> {
  const whole = reportObjectSchema.safeParse(report);
  if (!whole.success) return { kept: report, parts: 0 };
  const rows = await caseRowsOf(db, caseId);
  const exact = JSON.stringify(report);
  for (const parts of TRIED) {
    const kept: ReportObject = withoutParts(whole.data, parts);
    const rebuilt = withRows(kept, parts, rows);
    if (rebuilt !== null && JSON.stringify(rebuilt) === exact) return { kept, parts };
  }
  return { kept: report, parts: 0 };
}

/** Stores (or replaces) the final report of `caseId`, deflated, without what the case's rows hold. */
export async function saveCaseReport(db: SqlExecutor, caseId: string, report: unknown): Promise<void> {
  const { kept, parts } = await keptForm(db, caseId, report);
  await db.run(
    `INSERT INTO case_reports (case_id, report, from_rows) VALUES (?, ?, ?)
     ON CONFLICT (case_id) DO UPDATE SET report = excluded.report, from_rows = excluded.from_rows`,
    [caseId, deflateJson(kept), parts],
  );
}

/** The final report kept for `caseId` (to be parsed by the caller), or null when none was kept. */
export async function caseReportOf(db: SqlExecutor, caseId: string): Promise<unknown> {
  const row = await db.get("SELECT report, from_rows FROM case_reports WHERE case_id = ?", [caseId]);
  if (row === undefined) return null;
  const stored = reportRowSchema.parse(row);
  const report = inflateJson(stored.report);
  if (stored.from_rows === 0) return report;
  const rebuilt = withRows(reportObjectSchema.parse(report), stored.from_rows, await caseRowsOf(db, caseId));
  // Only when rows it was kept from are gone: no case memory path deletes them.
  if (rebuilt === null)
    throw new TriageError("BAD_DATABASE", `case ${caseId}: the rows its report was kept from are gone`);
  return rebuilt;
}

/**
 * Puts the `parts` (FROM_ROWS bits) a kept report of `caseId` leaves to the rows back into it, before
 * those rows change, so that it reads as it was kept: a campaign revision replaces a closed case's verdict.
 * Nothing when no report was kept, or it holds those parts.
 */
export async function keepPartsWhole(db: SqlExecutor, caseId: string, parts: number): Promise<void> {
  const row = await db.get("SELECT report, from_rows FROM case_reports WHERE case_id = ?", [caseId]);
  if (row === undefined) return;
  const stored = reportRowSchema.parse(row);
  if ((stored.from_rows & parts) === 0) return;
  const whole = await caseReportOf(db, caseId);
  const still = stored.from_rows & ~parts;
  await db.run("UPDATE case_reports SET report = ?, from_rows = ? WHERE case_id = ?", [
    deflateJson(withoutParts(reportObjectSchema.parse(whole), still)),
    still,
    caseId,
  ]);
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
