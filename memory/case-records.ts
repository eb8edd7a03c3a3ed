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
import { redact, redactValue } from "../core/redact.ts";
import type { SqlExecutor } from "./sql/driver.ts";

const approvalRowSchema = z.object({
  approved: z.number(),
  by: z.string(),
  action_ids: z.string(),
  comment: z.string(),
  at: z.string(),
});

const INSERT_EVIDENCE = `INSERT INTO evidence (case_id, id, tool, args, summary, data, collected_at) VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT(case_id, id) DO UPDATE SET summary = excluded.summary, data = excluded.data, collected_at = excluded.collected_at`;
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

  /** Upserts evidence by id; appends steps in order. */
  async addEvidence(caseId: string, evidence: Evidence[], steps: InvestigationStep[]): Promise<void> {
    for (const e of evidence)
      await this.sql.run(INSERT_EVIDENCE, [
        caseId,
        e.id,
        e.tool,
        JSON.stringify(redactValue(e.args)),
        redact(e.summary),
        JSON.stringify(redactValue(e.data ?? null)),
        e.collectedAt,
      ]);
    for (const s of steps)
      await this.sql.run(INSERT_STEP, [
        caseId,
        caseId,
        s.round,
        s.tool,
        JSON.stringify(redactValue(s.args)),
        s.evidenceId,
        s.ok ? 1 : 0,
        redact(s.summary),
        s.durationMs,
      ]);
  }

  /** Stores the verdict and copies its disposition, confidence and missing tools onto the case. */
  async saveVerdict(caseId: string, verdict: Verdict, findings: Finding[]): Promise<void> {
    const at = this.now().toISOString();
    await this.sql.run(
      "INSERT INTO verdicts (case_id, doc, findings, at) VALUES (?, ?, ?, ?) ON CONFLICT(case_id) DO UPDATE SET doc = excluded.doc, findings = excluded.findings, at = excluded.at",
      [caseId, JSON.stringify(redactValue(verdict)), JSON.stringify(redactValue(findings)), at],
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
