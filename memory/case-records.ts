/**
 * What an investigation leaves in a case: evidence and the steps that collected it, the verdict and its
 * findings, proposed actions with their policy decisions, and approvals. Free text and tool data are
 * redacted before they are stored.
 */
import { z } from "zod";
import {
  type Approval,
  type Evidence,
  type Finding,
  type InvestigationStep,
  type PolicyDecision,
  type ProposedAction,
  type Verdict,
  approvalSchema,
} from "../core/domain.ts";
import { ALERT_EVIDENCE_ID } from "../core/ids.ts";
import { redact, redactValue } from "../core/redact.ts";
import type { SqlExecutor } from "./sql/driver.ts";
import { keepPartsWhole } from "./case-reports.ts";
import { alertRowOf } from "./case-rows.ts";
import { packJson, packText } from "./packing.ts";
import { FROM_ROWS } from "./report-rows.ts";

const approvalRowSchema = z.object({
  approved: z.number(),
  by: z.string(),
  action_ids: z.string(),
  comment: z.string(),
  at: z.string(),
});

// Large tool output is stored deflated in `packed`, with `data` empty (memory/packing.ts).
const INSERT_EVIDENCE = `INSERT INTO evidence (case_id, id, tool, args, summary, data, packed, collected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT(case_id, id) DO NOTHING`;
const UPDATE_EVIDENCE = `UPDATE evidence SET tool = ?, args = ?, summary = ?, data = ?, packed = ?, collected_at = ?
  WHERE case_id = ? AND id = ?`;
// Steps that point at an evidence row about to be replaced take a copy of what they pointed at.
const COPY_INTO_STEPS = `UPDATE steps SET
    tool = (SELECT e.tool FROM evidence e WHERE e.case_id = steps.case_id AND e.id = steps.evidence_id),
    args = (SELECT e.args FROM evidence e WHERE e.case_id = steps.case_id AND e.id = steps.evidence_id),
    summary = (SELECT e.summary FROM evidence e WHERE e.case_id = steps.case_id AND e.id = steps.evidence_id)
  WHERE case_id = ? AND evidence_id = ? AND args = ''`;
const INSERT_STEP = `INSERT INTO steps (case_id, seq, round, tool, args, evidence_id, ok, summary, duration_ms)
  VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM steps WHERE case_id = ?), ?, ?, ?, ?, ?, ?, ?)`;
const INSERT_ACTION = `INSERT INTO actions (case_id, action_id, type, target, doc, decision, rule, reason, approvers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT(case_id, action_id) DO UPDATE SET doc = excluded.doc, decision = excluded.decision, rule = excluded.rule,
    reason = excluded.reason, approvers = excluded.approvers`;

/** Statements run through the driver, joining the caller's transaction (SqlCaseMemory opens one per call). */
export class CaseRecords {
  private readonly sql: SqlExecutor;
  private readonly now: () => Date;

  constructor(sql: SqlExecutor, options: { now: () => Date }) {
    this.sql = sql;
    this.now = options.now;
  }

  /**
   * Upserts evidence by id; appends steps in order. What is stored twice otherwise is stored once
   * (memory/case-rows.ts reads it back): a step that repeats the tool, args and summary of its evidence
   * row in this call points at it, and the alert's evidence, when it is the alert as stored with the case,
   * points at the alerts row.
   */
  async addEvidence(caseId: string, evidence: Evidence[], steps: InvestigationStep[]): Promise<void> {
    await keepPartsWhole(this.sql, caseId, FROM_ROWS.evidenceAndSteps);
    const stored = new Map<string, { tool: string; args: string; summary: string }>();
    for (const e of evidence) {
      const row = {
        tool: e.tool,
        args: JSON.stringify(redactValue(e.args)),
        summary: redact(e.summary),
      };
      const text = JSON.stringify(redactValue(e.data ?? null));
      const data =
        e.id === ALERT_EVIDENCE_ID && text === (await this.alertText(caseId))
          ? { text: "", packed: null }
          : packText(text);
      const values = [row.tool, row.args, row.summary, data.text, data.packed, e.collectedAt];
      const inserted = await this.sql.run(INSERT_EVIDENCE, [caseId, e.id, ...values]);
      // A call run again (a round resumed after a crash) replaces its row.
      if (inserted.changes === 0) {
        await this.sql.run(COPY_INTO_STEPS, [caseId, e.id]);
        await this.sql.run(UPDATE_EVIDENCE, [...values, caseId, e.id]);
      }
      stored.set(e.id, row);
    }
    for (const s of steps) {
      const row = { tool: s.tool, args: JSON.stringify(redactValue(s.args)), summary: redact(s.summary) };
      const collected = stored.get(s.evidenceId);
      const same =
        collected !== undefined &&
        collected.tool === row.tool &&
        collected.args === row.args &&
        collected.summary === row.summary;
      await this.sql.run(INSERT_STEP, [
        caseId,
        caseId,
        s.round,
        same ? "" : row.tool,
        same ? "" : row.args,
        s.evidenceId,
        s.ok ? 1 : 0,
        same ? "" : row.summary,
        s.durationMs,
      ]);
    }
  }

  /** The JSON text of the alert stored with the case, or null. */
  private async alertText(caseId: string): Promise<string | null> {
    const alert = await alertRowOf(this.sql, caseId);
    return alert === null ? null : JSON.stringify(alert);
  }

  /** Stores the verdict and copies its disposition, confidence and missing tools onto the case. */
  async saveVerdict(caseId: string, verdict: Verdict, findings: Finding[]): Promise<void> {
    const at = this.now().toISOString();
    // Above the packing threshold the verdict and its findings are kept deflated together in `packed`
    // (doc and findings empty); below it, as readable JSON.
    const doc = redactValue(verdict);
    const found = redactValue(findings);
    const together = packJson({ verdict: doc, findings: found });
    // A campaign revision replaces the verdict of a case that may be closed, its report kept.
    await keepPartsWhole(this.sql, caseId, FROM_ROWS.verdictAndFindings);
    await this.sql.run(
      "INSERT INTO verdicts (case_id, doc, findings, packed, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(case_id) DO UPDATE SET doc = excluded.doc, findings = excluded.findings, packed = excluded.packed, at = excluded.at",
      together.packed === null
        ? [caseId, JSON.stringify(doc), JSON.stringify(found), null, at]
        : [caseId, "", "", together.packed, at],
    );
    await this.sql.run(
      "UPDATE cases SET disposition = ?, confidence = ?, incomplete = ?, updated_at = ? WHERE id = ?",
      [
        verdict.disposition,
        verdict.confidence,
        verdict.incomplete ? JSON.stringify(verdict.incomplete.failedTools) : null,
        at,
        caseId,
      ],
    );
  }

  async saveActions(caseId: string, actions: ProposedAction[], decisions: PolicyDecision[]): Promise<void> {
    for (const a of actions) {
      const d = decisions.find((x) => x.actionId === a.id);
      await this.sql.run(INSERT_ACTION, [
        caseId,
        a.id,
        a.type,
        a.target,
        JSON.stringify(a),
        d?.decision ?? null,
        d?.rule ?? null,
        d?.reason ?? null,
        JSON.stringify(d?.approvers ?? []),
      ]);
    }
  }

  async recordApproval(caseId: string, approval: Approval): Promise<void> {
    await this.sql.run(
      "INSERT INTO approvals (case_id, approved, by, action_ids, comment, at) VALUES (?, ?, ?, ?, ?, ?)",
      [
        caseId,
        approval.approved ? 1 : 0,
        approval.by,
        JSON.stringify(approval.actionIds),
        approval.comment,
        approval.at,
      ],
    );
  }

  /** The latest answer recorded for a case, for recovery of a resume that died before finishing. */
  async latestApproval(caseId: string): Promise<Approval | null> {
    const row = await this.sql.get(
      "SELECT approved, by, action_ids, comment, at FROM approvals WHERE case_id = ? ORDER BY seq DESC LIMIT 1",
      [caseId],
    );
    if (row === undefined) return null;
    const r = approvalRowSchema.parse(row);
    return approvalSchema.parse({
      approved: r.approved === 1,
      by: r.by,
      actionIds: JSON.parse(r.action_ids),
      comment: r.comment,
      at: r.at,
    });
  }
}
