/**
 * From signals to a verdict: the log-odds sum becomes a probability of malicious; thresholds turn it into
 * a disposition; the confidence is the probability of the disposition named. Everything the verdict says
 * comes from the signals it lists.
 */
import type { Signal } from "../../../tools/analyzers/signal.ts";
import type {
  Alert,
  Disposition,
  Finding,
  Severity,
  Verdict,
  VerdictCategory,
} from "../../../core/domain.ts";
import { ALERT_EVIDENCE_ID } from "../../../core/ids.ts";

export interface Thresholds {
  /** P(malicious) at or above which the verdict is malicious. */
  malicious: number;
  /** P(malicious) at or below which the verdict is benign. */
  benign: number;
}

export const defaultThresholds: Thresholds = { malicious: 0.8, benign: 0.3 };

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

const IMPACT: Partial<Record<VerdictCategory, Severity>> = {
  account_takeover: "high",
  credential_dumping: "high",
  malicious_execution: "high",
  malware_delivery: "high",
  bec: "high",
  mfa_fatigue: "high",
  credential_phishing: "medium",
  callback_phishing: "medium",
};
const SEVERITY_ORDER: Severity[] = ["informational", "low", "medium", "high", "critical"];
const maxSeverity = (a: Severity, b: Severity) =>
  SEVERITY_ORDER.indexOf(a) >= SEVERITY_ORDER.indexOf(b) ? a : b;

function categoryOf(signals: Signal[], direction: 1 | -1, fallback: VerdictCategory): VerdictCategory {
  const totals = new Map<VerdictCategory, number>();
  for (const s of signals) {
    if (!s.category || Math.sign(s.weight) !== direction) continue;
    totals.set(s.category, (totals.get(s.category) ?? 0) + Math.abs(s.weight));
  }
  const best = [...totals.entries()].sort((a, b) => b[1] - a[1])[0];
  return best ? best[0] : fallback;
}

const label = (c: VerdictCategory) => c.replace(/_/g, " ");

export function toFinding(s: Signal): Finding {
  return {
    id: s.id,
    title: s.title,
    detail: s.detail,
    weight: round(s.weight, 2),
    evidenceIds: s.evidenceIds,
    attack: s.attack,
  };
}

/** The three-way split of P(malicious) by the thresholds (the evaluation draws it the same way). */
export function dispositionOf(p: number, thresholds: Thresholds): Disposition {
  return p >= thresholds.malicious ? "malicious" : p <= thresholds.benign ? "benign" : "suspicious";
}

export function scoreVerdict(input: {
  alert: Alert;
  signals: Signal[];
  prior: number;
  fallbackCategory: { malicious: VerdictCategory; benign: VerdictCategory };
  thresholds?: Thresholds;
  reasoner: string;
}): { verdict: Verdict; findings: Finding[] } {
  const { alert, signals, prior } = input;
  const thresholds = input.thresholds ?? defaultThresholds;
  const logit = prior + signals.reduce((sum, s) => sum + s.weight, 0);
  const p = sigmoid(logit);
  const disposition = dispositionOf(p, thresholds);
  const direction: 1 | -1 = disposition === "benign" || (disposition === "suspicious" && p < 0.5) ? -1 : 1;
  const category = categoryOf(
    signals,
    direction,
    direction === 1 ? input.fallbackCategory.malicious : input.fallbackCategory.benign,
  );
  const confidence =
    disposition === "malicious" ? p : disposition === "benign" ? 1 - p : 1 - Math.abs(p - 0.5);

  // The reasons shown are the signals that pushed the verdict the way it went, strongest first.
  const ranked = [...signals].sort((a, b) => direction * (b.weight - a.weight));
  const supporting = ranked.filter((s) => Math.sign(s.weight) === direction).slice(0, 6);
  const opposing = ranked
    .filter((s) => Math.sign(s.weight) === -direction)
    .slice(-2)
    .reverse();
  // A title can quote a hostile 2,048-character URL; the verdict schema holds 1,000 per reason, 2,000 per summary.
  const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
  const fmt = (s: Signal) => `${clip(s.title, 900)} (${s.weight > 0 ? "+" : ""}${s.weight.toFixed(1)})`;
  const rationale = [
    ...supporting.map(fmt),
    ...opposing.map((s) => `against: ${fmt(s)}`),
    `P(malicious) = ${p.toFixed(3)} from prior ${prior.toFixed(1)} and ${signals.length} finding(s)`,
  ];
  const attack =
    disposition === "benign"
      ? []
      : [...new Set(signals.filter((s) => s.weight > 0).flatMap((s) => s.attack))].sort();
  const evidenceIds = [...new Set([ALERT_EVIDENCE_ID, ...supporting.flatMap((s) => s.evidenceIds)])];
  const severity: Severity =
    disposition === "benign"
      ? "informational"
      : disposition === "malicious"
        ? maxSeverity(alert.severity, IMPACT[category] ?? "medium")
        : alert.severity;
  const top = supporting[0];
  const summary =
    disposition === "suspicious"
      ? `Suspicious, needs an analyst: leaning ${p >= 0.5 ? "malicious" : "benign"} (${label(category)}), P(malicious) ${p.toFixed(2)}.${top ? ` Strongest sign: ${clip(top.title, 1500)}.` : ""}`
      : `${disposition === "malicious" ? "Malicious" : "Benign"}: ${label(category)} (${Math.round(confidence * 100)}% confidence).${top ? ` ${clip(top.title, 1500)}.` : " No finding stood out."}`;
  return {
    verdict: {
      disposition,
      confidence: round(confidence),
      severity,
      category,
      attack,
      summary,
      rationale,
      evidenceIds,
      findingIds: signals.map((s) => s.id),
      maliciousProbability: round(p, 4),
      reasoner: input.reasoner,
    },
    findings: [...signals].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight)).map(toFinding),
  };
}
