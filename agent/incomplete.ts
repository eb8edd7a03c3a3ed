/**
 * An investigation that could not reach its tools says so: a verdict built on partial evidence must never
 * read as a benign lean. A mail system refusing our token, an EDR timing out: the reported message or the
 * host was never looked at, so whatever the reasoner concluded from the rest, an analyst must look.
 */
import { z } from "zod";
import type { Evidence, Verdict, InvestigationStep } from "../core/domain.ts";

/** Intel lookups enrich; the investigation stands without them. Every other tool reads the case itself. */
const OPTIONAL_TOOLS = new Set(["intel_lookup"]);
/** Codes that are answers, not failures: the thing looked up does not exist. */
const ANSWERS = new Set(["NOT_FOUND"]);

const failureSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export interface InvestigationGaps {
  failedTools: string[];
  reasons: string[];
}

/**
 * The tools whose every call of some arguments failed (a later success of the same call makes up for an
 * earlier failure), with one reason each; null when nothing the investigation needed was missing.
 */
export function investigationGaps(
  steps: readonly InvestigationStep[],
  evidence: readonly Evidence[],
): InvestigationGaps | null {
  const latest = new Map<string, InvestigationStep>();
  for (const step of steps) latest.set(step.evidenceId, step);
  const reasons = new Map<string, string>();
  for (const step of latest.values()) {
    if (step.ok || OPTIONAL_TOOLS.has(step.tool) || reasons.has(step.tool)) continue;
    const failure = failureSchema.safeParse(evidence.find((e) => e.id === step.evidenceId)?.data);
    const code = failure.success ? failure.data.error.code : "UPSTREAM_ERROR";
    if (ANSWERS.has(code)) continue;
    reasons.set(step.tool, `${step.tool} failed (${code})`);
  }
  return reasons.size ? { failedTools: [...reasons.keys()], reasons: [...reasons.values()] } : null;
}

/**
 * The verdict, marked incomplete: never benign (it stays suspicious, its confidence capped), the summary
 * opening with what could not be done. A malicious verdict keeps its conclusion: what was seen suffices.
 */
export function markIncomplete(verdict: Verdict, gaps: InvestigationGaps): Verdict {
  const malicious = verdict.disposition === "malicious";
  const head = `Investigation incomplete: ${gaps.reasons.join("; ")}.`;
  const tail = malicious
    ? verdict.summary
    : "The evidence that would decide this alert could not be read, so this is no benign verdict: an analyst must look once the tools work.";
  return {
    ...verdict,
    disposition: malicious ? "malicious" : "suspicious",
    confidence: malicious ? verdict.confidence : Math.min(verdict.confidence, 0.5),
    severity: verdict.disposition === "benign" ? "medium" : verdict.severity,
    summary: `${head} ${tail}`.slice(0, 2000),
    rationale: [head, ...verdict.rationale].slice(0, 20),
    incomplete: gaps,
  };
}
