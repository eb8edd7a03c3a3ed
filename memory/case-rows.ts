/**
 * A case's evidence and steps as stored (memory/case-records.ts writes them), read back whole. Two kinds
 * of row point at another instead of repeating it:
 * - a step stored with empty tool, args and summary is the step that collected its evidence row, and has
 *   that row's tool, args and summary (args of a step are never empty otherwise: JSON of an object);
 * - an evidence row with empty data and no packed bytes holds the case's alert, kept once in `alerts`
 *   (data is otherwise JSON text, or empty beside its packed bytes).
 */
import { z } from "zod";
import {
  type Evidence,
  type InvestigationStep,
  evidenceSchema,
  investigationStepSchema,
} from "../core/domain.ts";
import { unpackJson } from "./packing.ts";
import type { SqlExecutor } from "./sql/driver.ts";

const bytesSchema = z.instanceof(Uint8Array).nullable();

const evidenceRowSchema = z.object({
  id: z.string(),
  tool: z.string(),
  args: z.string(),
  summary: z.string(),
  data: z.string(),
  packed: bytesSchema,
  collected_at: z.string(),
  alert_doc: z.string().nullable(),
  alert_packed: bytesSchema,
});

const stepRowSchema = z.object({
  round: z.number(),
  tool: z.string(),
  args: z.string(),
  evidence_id: z.string(),
  ok: z.number(),
  summary: z.string(),
  duration_ms: z.number(),
  evidence_tool: z.string().nullable(),
  evidence_args: z.string().nullable(),
  evidence_summary: z.string().nullable(),
});

const verdictRowSchema = z.object({ doc: z.string(), findings: z.string(), packed: bytesSchema });

/** The verdict and findings stored for `caseId` (to be parsed by the caller), or null. */
export async function verdictRowOf(
  sql: SqlExecutor,
  caseId: string,
): Promise<{ verdict: unknown; findings: unknown } | null> {
  const row = await sql.get("SELECT doc, findings, packed FROM verdicts WHERE case_id = ?", [caseId]);
  if (row === undefined) return null;
  const r = verdictRowSchema.parse(row);
  // Above the packing threshold both are deflated together (memory/case-records.ts).
  if (r.packed === null) return { verdict: JSON.parse(r.doc), findings: JSON.parse(r.findings) };
  return z
    .object({ verdict: z.unknown(), findings: z.unknown() })
    .parse(unpackJson({ text: "", packed: r.packed }));
}

const alertRowSchema = z.object({ doc: z.string(), packed: bytesSchema });

/** The alert stored with `caseId` (to be parsed by the caller), or null. */
export async function alertRowOf(sql: SqlExecutor, caseId: string): Promise<unknown> {
  const row = await sql.get("SELECT doc, packed FROM alerts WHERE case_id = ?", [caseId]);
  if (row === undefined) return null;
  const r = alertRowSchema.parse(row);
  return unpackJson({ text: r.doc, packed: r.packed });
}

/** True for the data of an evidence row that holds the case's alert instead of a copy of it. */
export function isAlertReference(data: string, packed: Uint8Array | null): boolean {
  return data === "" && packed === null;
}

/** An evidence item without its data: what a report lists. */
export type EvidenceEntry = Pick<Evidence, "id" | "tool" | "args" | "summary">;

const entryRowSchema = z.object({ id: z.string(), tool: z.string(), args: z.string(), summary: z.string() });
const argsSchema = evidenceSchema.shape.args;

/** The evidence of `caseId` without its data (nothing inflated), by id. */
export async function evidenceEntriesOf(sql: SqlExecutor, caseId: string): Promise<EvidenceEntry[]> {
  const rows = await sql.all("SELECT id, tool, args, summary FROM evidence WHERE case_id = ? ORDER BY id", [
    caseId,
  ]);
  return rows.map((row) => {
    const r = entryRowSchema.parse(row);
    return { id: r.id, tool: r.tool, args: argsSchema.parse(JSON.parse(r.args)), summary: r.summary };
  });
}

/** The evidence of `caseId`, data included, by id. */
export async function evidenceRowsOf(sql: SqlExecutor, caseId: string): Promise<Evidence[]> {
  const rows = await sql.all(
    `SELECT e.id, e.tool, e.args, e.summary, e.data, e.packed, e.collected_at,
            a.doc AS alert_doc, a.packed AS alert_packed
       FROM evidence e LEFT JOIN alerts a ON a.case_id = e.case_id
      WHERE e.case_id = ? ORDER BY e.id`,
    [caseId],
  );
  return rows.map((row) => {
    const r = evidenceRowSchema.parse(row);
    const data = isAlertReference(r.data, r.packed)
      ? unpackJson({ text: r.alert_doc ?? "null", packed: r.alert_packed })
      : unpackJson({ text: r.data, packed: r.packed });
    return evidenceSchema.parse({
      id: r.id,
      tool: r.tool,
      args: JSON.parse(r.args),
      summary: r.summary,
      data,
      collectedAt: r.collected_at,
    });
  });
}

/** The steps of `caseId`, in the order they were recorded. */
export async function stepRowsOf(sql: SqlExecutor, caseId: string): Promise<InvestigationStep[]> {
  const rows = await sql.all(
    `SELECT s.round, s.tool, s.args, s.evidence_id, s.ok, s.summary, s.duration_ms,
            e.tool AS evidence_tool, e.args AS evidence_args, e.summary AS evidence_summary
       FROM steps s LEFT JOIN evidence e ON e.case_id = s.case_id AND e.id = s.evidence_id
      WHERE s.case_id = ? ORDER BY s.seq`,
    [caseId],
  );
  return rows.map((row) => {
    const r = stepRowSchema.parse(row);
    const shared = r.args === "";
    return investigationStepSchema.parse({
      round: r.round,
      tool: shared ? r.evidence_tool : r.tool,
      args: JSON.parse((shared ? r.evidence_args : r.args) ?? "null"),
      evidenceId: r.evidence_id,
      ok: r.ok === 1,
      summary: shared ? r.evidence_summary : r.summary,
      durationMs: r.duration_ms,
    });
  });
}
