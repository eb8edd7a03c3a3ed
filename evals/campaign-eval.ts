/**
 * Campaign grouping on the lab's campaign scenarios (tools/lab/campaigns.ts): every message is reported
 * by its recipient, in arrival order, through the same path `triage email` takes, into a fresh case
 * memory. Figures: the share of each attack's reports that land in one campaign (its largest), pairwise
 * grouping precision, legitimate messages merged into an attack, the latency of reports that joined a
 * known campaign, and analyst touches per attack campaign (investigations and approvals it needed).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { triageReport, type ReportOutcome } from "../agent/campaigns/triage-report.ts";
import { scratchConfig, type TriageConfig } from "../agent/config.ts";
import { reportedMessage, withReportedMessages, type ReportedMessage } from "../agent/email-file.ts";
import { openRuntime } from "../agent/setup.ts";
import { campaignLab, type CampaignLabMessage } from "../tools/lab/campaigns.ts";
import { median } from "./stats.ts";

export interface CampaignEvalResult {
  seed: number;
  reports: number;
  attackCampaigns: number;
  /** Per attack: the share of its reports in its largest predicted campaign; and the mean over attacks. */
  completeness: Array<{ group: string; reports: number; inLargest: number; share: number }>;
  meanCompleteness: number;
  /** Of all pairs of reports put in one campaign, the share with the same ground-truth group. */
  pairPrecision: number;
  /** Legitimate reports that landed in a campaign holding an attack's reports. */
  legitimateMergedIntoAttack: number;
  /**
   * Reports that joined a known campaign: wall-clock latency of the whole triage call (fetch, parse,
   * lookup, the one commit, the reply's dry run), ms. On a shared machine the wall clock also counts
   * waiting for a core and for the disk's sync.
   */
  joinedMs: { n: number; median: number; p95: number; max: number };
  /** Of that, until the campaign was found and its verdict known (fetch, parse, fingerprint, lookup). */
  lookupMs: { median: number; p95: number };
  /** Investigations plus pending approvals per attack's campaigns (1 is the target). */
  touchesPerAttack: Array<{ group: string; touches: number }>;
  meanTouches: number;
}

function percentile(values: readonly number[], p: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

export function scoreGrouping(
  truth: readonly CampaignLabMessage[],
  outcomes: readonly Pick<ReportOutcome, "campaign" | "joined" | "status">[],
): Pick<
  CampaignEvalResult,
  | "completeness"
  | "meanCompleteness"
  | "pairPrecision"
  | "legitimateMergedIntoAttack"
  | "touchesPerAttack"
  | "meanTouches"
> {
  const predicted = outcomes.map((o, i) => o.campaign?.id ?? `none-${i}`);
  const groups = [...new Set(truth.map((t) => t.group))];
  const completeness = groups
    .filter((g) => truth.some((t) => t.group === g && t.attack))
    .map((group) => {
      const mine = truth.flatMap((t, i) => (t.group === group ? [predicted[i] ?? ""] : []));
      const counts = new Map<string, number>();
      for (const p of mine) counts.set(p, (counts.get(p) ?? 0) + 1);
      const inLargest = Math.max(...counts.values());
      return { group, reports: mine.length, inLargest, share: inLargest / mine.length };
    });
  let together = 0;
  let right = 0;
  for (let i = 0; i < truth.length; i++)
    for (let j = i + 1; j < truth.length; j++) {
      if (predicted[i] !== predicted[j]) continue;
      together++;
      if (truth[i]?.group === truth[j]?.group) right++;
    }
  const attackCampaigns = new Set(truth.flatMap((t, i) => (t.attack ? [predicted[i]] : [])));
  const legitimateMergedIntoAttack = truth.filter(
    (t, i) => !t.attack && attackCampaigns.has(predicted[i]),
  ).length;
  const touchesPerAttack = completeness.map(({ group }) => ({
    group,
    touches: truth.filter(
      (t, i) =>
        t.group === group && (outcomes[i]?.joined === "first" || outcomes[i]?.status === "awaiting_approval"),
    ).length,
  }));
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    completeness,
    meanCompleteness: mean(completeness.map((c) => c.share)),
    pairPrecision: together ? right / together : 1,
    legitimateMergedIntoAttack,
    touchesPerAttack,
    meanTouches: mean(touchesPerAttack.map((t) => t.touches)),
  };
}

export async function evaluateCampaigns(
  config: TriageConfig,
  options: { seed?: number } = {},
): Promise<CampaignEvalResult> {
  const seed = options.seed ?? 1337;
  const truth = campaignLab(seed);
  const scratch = mkdtempSync(join(tmpdir(), "soc-triage-campaign-eval-"));
  const now = new Date();
  const reported: ReportedMessage[] = [];
  for (const [index, m] of truth.entries())
    reported.push(
      await reportedMessage(m.raw, { file: `campaign-lab-${seed}`, index, now, reporter: m.reporter }),
    );
  const opened = await openRuntime(scratchConfig(config, scratch), {
    checkpointer: false,
    wrapTools: (tools) => withReportedMessages(tools, reported),
  });
  const outcomes: ReportOutcome[] = [];
  const joinedMs: number[] = [];
  const lookupMs: number[] = [];
  try {
    const runtime = { ...opened.runtime, campaigns: opened.campaigns };
    for (const message of reported) {
      const started = performance.now();
      const outcome = await triageReport(runtime, message.alert.id, { dryRun: true });
      const ms = performance.now() - started;
      if (outcome.joined !== "first" && outcome.joined !== "simulation" && outcome.joined !== null) {
        joinedMs.push(ms);
        lookupMs.push(outcome.lookupMs ?? ms);
      }
      outcomes.push(outcome);
    }
  } finally {
    await opened.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  return {
    seed,
    reports: truth.length,
    attackCampaigns: new Set(truth.filter((t) => t.attack).map((t) => t.group)).size,
    ...scoreGrouping(truth, outcomes),
    joinedMs: {
      n: joinedMs.length,
      median: median(joinedMs),
      p95: percentile(joinedMs, 0.95),
      max: Math.max(0, ...joinedMs),
    },
    lookupMs: { median: median(lookupMs), p95: percentile(lookupMs, 0.95) },
  };
}

export function renderCampaignEval(r: CampaignEvalResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    `Campaign grouping on the lab's campaign scenarios (seed ${r.seed}): ${r.reports} reports, ${r.attackCampaigns} attack campaigns`,
    ...r.completeness.map(
      (c) => `  ${c.group}: ${c.inLargest}/${c.reports} reports in one campaign (${pct(c.share)})`,
    ),
    `Reports of one attack in one campaign: ${pct(r.meanCompleteness)} (target 100%)`,
    `Grouping precision (pairs): ${pct(r.pairPrecision)} (target >= 99%); legitimate reports merged into an attack: ${r.legitimateMergedIntoAttack}`,
    `Joined reports: ${r.joinedMs.n}, latency median ${r.joinedMs.median.toFixed(1)} ms, p95 ${r.joinedMs.p95.toFixed(1)} ms, max ${r.joinedMs.max.toFixed(1)} ms (target <= 10 ms); found and verdict inherited in median ${r.lookupMs.median.toFixed(1)} ms, p95 ${r.lookupMs.p95.toFixed(1)} ms`,
    `Analyst touches per attack campaign: ${r.meanTouches.toFixed(2)} (target 1)`,
  ].join("\n");
}
