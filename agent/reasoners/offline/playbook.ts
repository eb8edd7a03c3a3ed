import type { ToolCall } from "../../../tools/catalog.ts";
import type { Signal } from "../../../tools/analyzers/signal.ts";
import type { ProposedActionInput, VerdictCategory } from "../../../core/domain.ts";
import type { Assessment, ReasonerContext } from "../types.ts";

/**
 * How the offline engine investigates one kind of alert. `calls` returns every call it wants given the
 * evidence so far; calls already made are skipped by the graph, so investigation ends when the playbook
 * has nothing new to ask. The playbook then turns the evidence into signals and, once judged, into actions.
 */
export interface Playbook {
  readonly name: string;
  /** Log-odds before any evidence: how often this kind of alert is an attack. */
  readonly prior: number;
  /** Operating points of a trained model; the engine's defaults otherwise. */
  readonly thresholds?: { malicious: number; benign: number };
  readonly fallbackCategory: { malicious: VerdictCategory; benign: VerdictCategory };
  calls(ctx: ReasonerContext): Promise<ToolCall[]>;
  signals(ctx: ReasonerContext): Promise<Signal[]>;
  actions(ctx: ReasonerContext & Assessment): Promise<ProposedActionInput[]>;
}
