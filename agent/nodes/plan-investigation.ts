import { evidenceIdFor, toolCallSchema, type ToolCall } from "../../tools/catalog.ts";
import { clip, describeError } from "../../core/errors.ts";
import { reasonerContext } from "../context.ts";
import type { TriageDeps } from "../deps.ts";
import type { TriageStateUpdate, TriageStateValue } from "../state.ts";

/**
 * Asks the reasoner for the next round of read-only tool calls, then holds it to the budget: no call
 * already made, no unknown tool, no more calls than remain, no round past the limits.
 */
export const planInvestigation =
  (deps: TriageDeps) =>
  async (state: TriageStateValue): Promise<TriageStateUpdate> => {
    const { budget } = deps;
    const elapsedMs = deps.now().getTime() - Date.parse(state.startedAt || deps.now().toISOString());
    const remaining = budget.maxToolCalls - state.steps.length;
    const stop = (note: string): TriageStateUpdate => ({ pendingCalls: [], notes: [note] });
    if (state.round >= budget.maxRounds)
      return stop(`investigation stopped at the round limit (${budget.maxRounds})`);
    if (remaining <= 0) return stop(`investigation stopped at the tool-call limit (${budget.maxToolCalls})`);
    if (elapsedMs > budget.maxWallMs)
      return stop(`investigation stopped at the time limit (${budget.maxWallMs} ms)`);

    let plan;
    try {
      plan = await deps.reasoner.plan(reasonerContext(deps, state));
    } catch (error) {
      return stop(`planning failed, assessing the evidence so far: ${clip(describeError(error))}`);
    }
    const known = new Set(state.evidence.map((e) => e.id));
    const calls: ToolCall[] = [];
    const dropped: string[] = [];
    for (const candidate of plan.calls) {
      const parsed = toolCallSchema.safeParse(candidate);
      if (!parsed.success) {
        dropped.push("unknown tool");
        continue;
      }
      const id = evidenceIdFor(parsed.data);
      if (known.has(id)) continue;
      known.add(id);
      calls.push(parsed.data);
    }
    const notes: string[] = [];
    // The reasoner's own word on this round, e.g. that the model failed and the playbook planned instead.
    if (plan.note && !state.notes.includes(plan.note)) notes.push(plan.note);
    if (dropped.length) notes.push(`ignored ${dropped.length} planned call(s) to unknown tools`);
    if (calls.length > remaining)
      notes.push(`tool-call budget cut the plan from ${calls.length} to ${remaining} calls`);
    return {
      pendingCalls: plan.done && calls.length === 0 ? [] : calls.slice(0, remaining),
      notes,
      ...(plan.usage ? { usage: plan.usage } : {}),
    };
  };

/** After planning: investigate more, or assess. */
export function routeAfterPlan(state: TriageStateValue): "run-tools" | "assess-alert" {
  return state.pendingCalls.length > 0 ? "run-tools" : "assess-alert";
}
