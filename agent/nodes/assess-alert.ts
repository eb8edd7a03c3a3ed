import { reasonerContext } from "../context.ts";
import type { TriageDeps } from "../deps.ts";
import type { TriageStateUpdate, TriageStateValue } from "../state.ts";
import { verdictSchema, type Verdict } from "../../core/domain.ts";
import { investigationGaps, markIncomplete } from "../incomplete.ts";
import { ALERT_EVIDENCE_ID } from "../../core/ids.ts";

/**
 * The reasoner's verdict, held to the evidence: an id the verdict cites that no tool produced is dropped
 * and noted (grounding), so a report never points at evidence that does not exist.
 */
export const assessAlert =
  (deps: TriageDeps) =>
  async (state: TriageStateValue): Promise<TriageStateUpdate> => {
    const { verdict: proposed, findings, usage } = await deps.reasoner.assess(reasonerContext(deps, state));
    const gaps = investigationGaps(state.steps, state.evidence);
    const parsed = verdictSchema.parse(proposed);
    // The engine, not the reasoner, says whether the investigation was complete.
    const { incomplete: _claimed, ...claimed } = parsed;
    const verdict: Verdict = gaps ? markIncomplete(claimed, gaps) : claimed;
    const known = new Set(state.evidence.map((e) => e.id));
    const grounded = verdict.evidenceIds.filter((id) => known.has(id));
    const ungrounded = verdict.evidenceIds.filter((id) => !known.has(id));
    const notes = ungrounded.length
      ? [`verdict cited unknown evidence ${ungrounded.join(", ")}; dropped`]
      : [];
    const final = { ...verdict, evidenceIds: grounded.length ? [...new Set(grounded)] : [ALERT_EVIDENCE_ID] };
    await deps.memory.saveVerdict(state.caseId, final, findings, {
      actor: `reasoner:${deps.reasoner.name}`,
      event: "verdict.assessed",
      caseId: state.caseId,
      payload: {
        disposition: final.disposition,
        confidence: final.confidence,
        category: final.category,
        severity: final.severity,
        reasoner: final.reasoner,
        evidenceIds: final.evidenceIds,
        ...(final.incomplete ? { incomplete: final.incomplete.failedTools } : {}),
        // Which prompts (by hash) shaped the verdict, so an auditor can tie it to a prompt version.
        ...(final.model ? { model: { calls: final.model.calls, prompts: final.model.prompts } } : {}),
      },
    });
    return { verdict: final, findings, notes, ...(usage ? { usage } : {}) };
  };
