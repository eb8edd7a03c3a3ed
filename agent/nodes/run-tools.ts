import { evidenceIdFor, runToolCall, type ToolOutput } from "../../tools/catalog.ts";
import { describeError, isToolError } from "../../core/errors.ts";
import { redact, redactValue } from "../../core/redact.ts";
import type { Evidence, InvestigationStep } from "../../core/domain.ts";
import type { TriageDeps } from "../deps.ts";
import type { TriageStateUpdate, TriageStateValue } from "../state.ts";

/** Maps with at most `limit` calls in flight, keeping the input order in the result. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const queue = items.map((item, index) => ({ item, index }));
  let next = 0;
  const worker = async () => {
    for (let job = queue[next++]; job; job = queue[next++]) results[job.index] = await run(job.item);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/**
 * Runs the planned calls in parallel, at most budget.toolConcurrency at once. A failed call becomes evidence too (the error is data the
 * reasoner can weigh), so one broken tool never fails the triage.
 */
export const runTools =
  (deps: TriageDeps) =>
  async (state: TriageStateValue): Promise<TriageStateUpdate> => {
    const round = state.round + 1;
    const outcomes = await mapLimit(
      state.pendingCalls,
      deps.budget.toolConcurrency,
      async (call): Promise<{ evidence: Evidence; step: InvestigationStep }> => {
        const started = performance.now();
        const id = evidenceIdFor(call);
        let output: ToolOutput;
        let ok = true;
        try {
          // No retries here: the vendor's HTTP client retries what is retryable (budget.toolRetries).
          output = await runToolCall(deps.tools, call, {
            signal: AbortSignal.timeout(deps.budget.toolTimeoutMs),
          });
        } catch (error) {
          ok = false;
          const code = isToolError(error) ? error.code : "UPSTREAM_ERROR";
          output = {
            data: { error: { code, message: describeError(error) } },
            summary: `failed: ${describeError(error)}`,
          };
        }
        const durationMs = Math.round((performance.now() - started) * 100) / 100;
        // Evidence goes to state, checkpoints, case memory, reports and prompts: scrubbed once, here.
        output = { ...output, summary: redact(output.summary), data: redactValue(output.data) };
        return {
          evidence: {
            id,
            tool: call.tool,
            args: call.args,
            summary: output.summary,
            data: output.data,
            collectedAt: deps.now().toISOString(),
          },
          step: {
            round,
            tool: call.tool,
            args: call.args,
            evidenceId: id,
            ok,
            summary: output.summary,
            durationMs,
          },
        };
      },
    );
    const evidence = outcomes.map((o) => o.evidence);
    const steps = outcomes.map((o) => o.step);
    await deps.memory.addEvidence(state.caseId, evidence, steps);
    const failed = steps.filter((s) => !s.ok);
    return {
      evidence,
      steps,
      round,
      pendingCalls: [],
      notes: failed.map((s) => `tool ${s.tool} ${s.summary}`),
    };
  };
