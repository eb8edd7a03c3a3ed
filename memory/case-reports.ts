/**
 * A closed case keeps its final report, not its LangGraph checkpoints. Every graph step checkpoints the
 * whole state (most of a case's bytes); a closed case never resumes, and its report is all that
 * `triage cases show` and a late approval's answer read. Paused cases keep their checkpoints: the approval
 * resumes from them, in any process. The report repeats the case's evidence and steps rows: kept without
 * them (migration 11's from_rows) whenever the rows give them back exactly.
 */
import { z } from "zod";
import type { Evidence, InvestigationStep } from "../core/domain.ts";
import { ALERT_EVIDENCE_ID } from "../core/ids.ts";
import { evidenceRowsOf, stepRowsOf } from "./case-rows.ts";
import { deflateJson, inflateJson } from "./packing.ts";
import type { SqlExecutor } from "./sql/driver.ts";
import type { CaseDatabaseDriver } from "./sql/open.ts";

const reportRowSchema = z.object({ report: z.instanceof(Uint8Array), from_rows: z.number() });
const countRowSchema = z.object({ n: z.number() });
/** A report as an object, its keys in their order (agent/report-schema.ts owns its shape). */
const reportObjectSchema = z.record(z.string(), z.unknown());
/** What rebuilding a report's evidence and steps reads of it: the evidence its verdict cites. */
const citingSchema = z.object({
  verdict: z.object({ evidenceIds: z.array(z.string()) }),
  evidence: z.array(z.unknown()),
  steps: z.array(z.unknown()),
});
type ReportObject = z.infer<typeof reportObjectSchema>;

/**
 * `report` with its evidence and steps as the report builds them from the state (agent/report.ts): the
 * alert's evidence, then each step's in step order, each with whether the verdict cites it; the steps as
 * recorded.
 */
function withRows(report: ReportObject, evidence: Evidence[], steps: InvestigationStep[]): ReportObject {
  const cited = new Set(citingSchema.parse(report).verdict.evidenceIds);
  const byId = new Map(evidence.map((e) => [e.id, e]));
  const order = new Set([ALERT_EVIDENCE_ID, ...steps.map((s) => s.evidenceId), ...byId.keys()]);
  const listed = [...order].flatMap((id) => {
    const e = byId.get(id);
    return e === undefined
      ? []
      : [{ id: e.id, tool: e.tool, args: e.args, summary: e.summary, cited: cited.has(e.id) }];
  });
  return { ...report, evidence: listed, steps };
}

/**
 * The report to keep for `caseId` without its evidence and steps (the case's rows hold them), when
 * rebuilding them from the rows gives back exactly `report`, byte for byte; else null, and it is kept
 * whole. They can differ: rows hold redacted arguments, and a call run again adds steps.
 */
async function withoutRows(db: SqlExecutor, caseId: string, report: unknown): Promise<ReportObject | null> {
  const whole = reportObjectSchema.safeParse(report);
  const citing = citingSchema.safeParse(report);
  if (!whole.success || !citing.success) return null;
  if (citing.data.evidence.length === 0 && citing.data.steps.length === 0) return null;
  const kept = { ...whole.data, evidence: [], steps: [] };
  const rebuilt = withRows(kept, await evidenceRowsOf(db, caseId), await stepRowsOf(db, caseId));
  return JSON.stringify(rebuilt) === JSON.stringify(report) ? kept : null;
}

/** Stores (or replaces) the final report of `caseId`, deflated, without what the case's rows hold. */
export async function saveCaseReport(db: SqlExecutor, caseId: string, report: unknown): Promise<void> {
  const kept = await withoutRows(db, caseId, report);
  await db.run(
    `INSERT INTO case_reports (case_id, report, from_rows) VALUES (?, ?, ?)
     ON CONFLICT (case_id) DO UPDATE SET report = excluded.report, from_rows = excluded.from_rows`,
    [caseId, deflateJson(kept ?? report), kept === null ? 0 : 1],
  );
}

/** The final report kept for `caseId` (to be parsed by the caller), or null when none was kept. */
export async function caseReportOf(db: SqlExecutor, caseId: string): Promise<unknown> {
  const row = await db.get("SELECT report, from_rows FROM case_reports WHERE case_id = ?", [caseId]);
  if (row === undefined) return null;
  const stored = reportRowSchema.parse(row);
  const report = inflateJson(stored.report);
  if (stored.from_rows === 0) return report;
  return withRows(
    reportObjectSchema.parse(report),
    await evidenceRowsOf(db, caseId),
    await stepRowsOf(db, caseId),
  );
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
