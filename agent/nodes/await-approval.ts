import { interrupt } from "@langchain/langgraph";
import type { TriageDeps } from "../deps.ts";
import type { TriageStateUpdate, TriageStateValue } from "../state.ts";
import { approvalSchema, type Approval } from "../../core/domain.ts";

/** What a person is shown while the case waits. */
export interface ApprovalRequest {
  caseId: string;
  alertId: string;
  actions: Array<{ id: string; type: string; target: string; rule: string; approvers: string[] }>;
}

/**
 * Waits for a person. interrupt() parks the thread in the checkpointer; `triage approve` or a Slack button
 * resumes it, from any process. The answer is recorded and audited by resumeTriage, in the transaction
 * that takes the case, before the graph resumes: a crash after that point leaves a durable answer that
 * recovery resumes with. This node re-runs from its start on resume, so it has no side effect at all.
 */
export const awaitApproval =
  (_deps: TriageDeps) =>
  async (state: TriageStateValue): Promise<TriageStateUpdate> => {
    const pending = state.decisions.filter((d) => d.decision === "require_approval");
    const request: ApprovalRequest = {
      caseId: state.caseId,
      alertId: state.alertId,
      actions: pending.map((d) => {
        const action = state.actions.find((a) => a.id === d.actionId);
        return {
          id: d.actionId,
          type: action?.type ?? "",
          target: action?.target ?? "",
          rule: d.rule,
          approvers: d.approvers,
        };
      }),
    };
    const answer: Approval = approvalSchema.parse(interrupt<ApprovalRequest, unknown>(request));
    return { approval: answer };
  };
