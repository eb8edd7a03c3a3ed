/**
 * What a SOC queue feels: attacks closed without anyone looking, legitimate mail a person must clear, and
 * how much the engine decides alone; overall, per source and per class of a corpus.
 */
import type { Disposition } from "../../core/domain.ts";
import { findingStats, type FindingStats } from "./finding-stats.ts";
import { auc, brier, recallAtFpr } from "./metrics.ts";
import type { Outcome } from "./outcome.ts";

/** A count out of a total, and their ratio (0 when the total is 0). */
export interface Rate {
  count: number;
  of: number;
  share: number;
}

export interface SocFigures {
  /** Malicious-labeled messages the engine closed as benign: attacks nobody will look at. */
  attacksClosedAsBenign: Rate;
  /** Benign-labeled messages called suspicious or malicious: noise sent to a person. */
  legitimateToPerson: Rate;
  /** Messages the engine decided alone (malicious or benign, not suspicious). */
  decidedWithoutPerson: Rate;
}

const rate = (count: number, of: number): Rate => ({ count, of, share: of ? count / of : 0 });

export function socFigures(outcomes: ReadonlyArray<{ label: 0 | 1; disposition: Disposition }>): SocFigures {
  const attacks = outcomes.filter((o) => o.label === 1);
  const legitimate = outcomes.filter((o) => o.label === 0);
  return {
    attacksClosedAsBenign: rate(attacks.filter((o) => o.disposition === "benign").length, attacks.length),
    legitimateToPerson: rate(legitimate.filter((o) => o.disposition !== "benign").length, legitimate.length),
    decidedWithoutPerson: rate(
      outcomes.filter((o) => o.disposition !== "suspicious").length,
      outcomes.length,
    ),
  };
}

export interface DeploymentMetrics extends SocFigures {
  n: number;
  malicious: number;
  benign: number;
  /** Best recall at FPR ≤ 1%; null unless both classes are present. */
  recallAtFpr1: number | null;
  brier: number;
  /** null unless both classes are present. */
  auc: number | null;
}

export function deploymentMetrics(
  outcomes: ReadonlyArray<{ label: 0 | 1; p: number; disposition: Disposition }>,
): DeploymentMetrics {
  const scored = outcomes.map((o) => ({ label: o.label, p: o.p }));
  const malicious = outcomes.filter((o) => o.label === 1).length;
  const both = malicious > 0 && malicious < outcomes.length;
  return {
    n: outcomes.length,
    malicious,
    benign: outcomes.length - malicious,
    ...socFigures(outcomes),
    recallAtFpr1: both ? recallAtFpr(scored, 0.01) : null,
    brier: brier(scored),
    auc: both ? auc(scored) : null,
  };
}

export interface GroupMetrics extends DeploymentMetrics {
  group: string;
}

/** Metrics per group (source or class), in order of first appearance; empty when no outcome has a group. */
export function metricsBy<T extends { label: 0 | 1; p: number; disposition: Disposition }>(
  outcomes: readonly T[],
  groupOf: (outcome: T) => string | null,
): GroupMetrics[] {
  const groups = new Map<string, T[]>();
  for (const o of outcomes) {
    const group = groupOf(o);
    if (group !== null) groups.set(group, [...(groups.get(group) ?? []), o]);
  }
  return [...groups].map(([group, members]) => ({ group, ...deploymentMetrics(members) }));
}

/** One view of a corpus (independent or stream) as a SOC would read it. */
export interface ViewSummary {
  overall: DeploymentMetrics;
  bySource: GroupMetrics[];
  byClass: GroupMetrics[];
  findings: FindingStats[];
}

export function summarizeView(outcomes: readonly Outcome[]): ViewSummary {
  return {
    overall: deploymentMetrics(outcomes),
    bySource: metricsBy(outcomes, (o) => o.source),
    byClass: metricsBy(outcomes, (o) => o.class),
    findings: findingStats(outcomes),
  };
}
