/**
 * One message's outcome as a deployment records it: P(malicious), the disposition the thresholds give, and
 * every finding that moved it. The independent view computes it here the way the email playbook does
 * (learned weights where the model learned them, the analysts' hand-set weights where it could not, the
 * content measurements' pushes); the stream view reads it from the graph's verdict.
 */
import { contributions, type LogisticModel } from "../../tools/analyzers/logistic.ts";
import { dispositionOf, type Thresholds } from "../../agent/reasoners/offline/score.ts";
import { emailProbability, modelSignals } from "../../tools/analyzers/email/model-signals.ts";
import type { Disposition } from "../../core/domain.ts";
import type { PreparedMessage } from "./pipeline.ts";

/** A finding's id and its log-odds push on one message. */
export interface FindingPush {
  id: string;
  weight: number;
}

export interface Outcome {
  file: string;
  source: string | null;
  class: string | null;
  label: 0 | 1;
  p: number;
  disposition: Disposition;
  findings: FindingPush[];
}

export { dispositionOf };

const CONTENT = "content.";

/**
 * P(malicious) and the findings of a message as the email playbook scores it without tools. Content
 * measurements are listed one by one (the playbook folds the small ones into one finding), so the
 * per-finding table can say which of them fire on legitimate mail; the sum, and so P, is the same.
 */
export function deploymentScore(
  model: LogisticModel,
  prepared: PreparedMessage,
): { p: number; findings: FindingPush[] } {
  const analyzers = modelSignals(model, prepared.vector, prepared.signals, "ev-message")
    .filter((s) => !s.id.startsWith(`email.${CONTENT}`) || s.id === "email.content.wording")
    .map((s) => ({ id: s.id, weight: s.weight }));
  const content = contributions(model, prepared.vector)
    .filter((c) => c.feature.startsWith(CONTENT))
    .map((c) => ({ id: `email.${c.feature}`, weight: c.value }));
  return {
    p: emailProbability(model, prepared.vector, prepared.signals),
    findings: [...analyzers, ...content],
  };
}

/**
 * The outcomes as they would have been without the findings whose id starts with `prefix` (e.g. "memory."):
 * their pushes are taken back out of P(malicious), and the disposition is drawn again.
 */
export function withoutFindings(
  outcomes: readonly Outcome[],
  prefix: string,
  thresholds: Thresholds,
): Outcome[] {
  return outcomes.map((o) => {
    const removed = o.findings.filter((f) => f.id.startsWith(prefix));
    if (!removed.length) return o;
    // Verdicts round P to 4 digits: keep it off 0 and 1 so the log-odds stay finite.
    const p0 = Math.min(1 - 1e-6, Math.max(1e-6, o.p));
    const logit = Math.log(p0 / (1 - p0)) - removed.reduce((sum, f) => sum + f.weight, 0);
    const p = 1 / (1 + Math.exp(-logit));
    return {
      ...o,
      p,
      disposition: dispositionOf(p, thresholds),
      findings: o.findings.filter((f) => !f.id.startsWith(prefix)),
    };
  });
}
