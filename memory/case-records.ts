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
import type { CaseDatabase } from "./db.ts";
import { packJson } from "./packing.ts";

const approvalRowSchema = z.object({
  approved: z.number(),
  by: z.string(),
  action_ids: z.string(),
  comment: z.string(),
  at: z.string(),
});

export class CaseRecords {
  private readonly db: CaseDatabase;
  private readonly now: () => Date;

  constructor(db: CaseDatabase, options: { now: () => Date }) {
    this.db = db;
    this.now = options.now;
  }

  /** Upserts evidence by id; appends steps in order. */
  addEvidence(caseId: string, evidence: Evidence[], steps: InvestigationStep[]): void {
    const insertEvidence = this.db.prepare(
      `INSERT INTO evidence (case_id, id, tool, args, summary, data, packed, collected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(case_id, id) DO UPDATE SET summary = excluded.summary, data = excluded.data, packed = excluded.packed,
         collected_at = excluded.collected_at`,
    );
    const insertStep = this.db.prepare(
      `INSERT INTO steps (case_id, seq, round, tool, args, evidence_id, ok, summary, duration_ms)
       VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM steps WHERE case_id = ?), ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const e of evidence) {
        const data = packJson(redactValue(e.data ?? null));
        insertEvidence.run(
          caseId,
          e.id,
          e.tool,
          JSON.stringify(redactValue(e.args)),
          redact(e.summary),
          data.text,
          data.packed,
          e.collectedAt,
        );
      }
      for (const s of steps)
        insertStep.run(
          caseId,
          caseId,
          s.round,
          s.tool,
          JSON.stringify(redactValue(s.args)),
          s.evidenceId,
          s.ok ? 1 : 0,
          redact(s.summary),
          s.durationMs,
        );
    })();
  }

  /** Stores the verdict and copies its disposition, confidence and missing tools onto the case. */
  saveVerdict(caseId: string, verdict: Verdict, findings: Finding[]): void {
    const at = this.now().toISOString();
    this.db.transaction(() => {
      this.db
        .prepare(
          "INSERT INTO verdicts (case_id, doc, findings, at) VALUES (?, ?, ?, ?) ON CONFLICT(case_id) DO UPDATE SET doc = excluded.doc, findings = excluded.findings, at = excluded.at",
        )
        .run(caseId, JSON.stringify(redactValue(verdict)), JSON.stringify(redactValue(findings)), at);
      this.db
        .prepare(
          "UPDATE cases SET disposition = ?, confidence = ?, incomplete = ?, updated_at = ? WHERE id = ?",
        )
        .run(
          verdict.disposition,
          verdict.confidence,
          verdict.incomplete ? JSON.stringify(verdict.incomplete.failedTools) : null,
          at,
          caseId,
        );
    })();
  }

  saveActions(caseId: string, actions: ProposedAction[], decisions: PolicyDecision[]): void {
    const insert = this.db.prepare(
      `INSERT INTO actions (case_id, action_id, type, target, doc, decision, rule, reason, approvers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(case_id, action_id) DO UPDATE SET doc = excluded.doc, decision = excluded.decision, rule = excluded.rule,
         reason = excluded.reason, approvers = excluded.approvers`,
    );
    this.db.transaction(() => {
      for (const a of actions) {
        const d = decisions.find((x) => x.actionId === a.id);
        insert.run(
          caseId,
          a.id,
          a.type,
          a.target,
          JSON.stringify(a),
          d?.decision ?? null,
          d?.rule ?? null,
          d?.reason ?? null,
          JSON.stringify(d?.approvers ?? []),
        );
      }
    })();
  }

  recordApproval(caseId: string, approval: Approval): void {
    this.db
      .prepare(
        "INSERT INTO approvals (case_id, approved, by, action_ids, comment, at) VALUES (?, ?, ?, ?, ?, ?)",
      )
      .run(
        caseId,
        approval.approved ? 1 : 0,
        approval.by,
        JSON.stringify(approval.actionIds),
        approval.comment,
        approval.at,
      );
  }

  /** The latest answer recorded for a case, for recovery of a resume that died before finishing. */
  latestApproval(caseId: string): Approval | null {
    const row = this.db
      .prepare(
        "SELECT approved, by, action_ids, comment, at FROM approvals WHERE case_id = ? ORDER BY seq DESC LIMIT 1",
      )
      .get(caseId);
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
