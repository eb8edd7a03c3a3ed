/**
 * A batch run's digest for a Slack channel: counts by disposition, pending approvals, failures with their
 * reasons, duration and throughput. Failure reasons can quote alert content, so they are escaped.
 */
import { webApi } from "@slack/bolt";
import type { BatchSummary } from "../batch.ts";
import type { Block, SlackMessage } from "./cards.ts";
import { clipPlain, LIMITS, safeText } from "./mrkdwn.ts";
import { slackFailure, webClientOptions } from "./web-client.ts";

const MAX_FAILURES = 5;

/** The digest's blocks; pure, so its content is tested without Slack. */
export function batchDigest(summary: BatchSummary): SlackMessage {
  const counts = Object.entries(summary.byDisposition).sort(([a], [b]) => a.localeCompare(b));
  const seconds = (summary.durationMs / 1000).toFixed(1);
  const rate = summary.alertsPerSecond.toFixed(1);
  const mrkdwn = (text: string) => ({ type: "mrkdwn" as const, text, verbatim: true });
  const blocks: Block[] = [
    {
      type: "header",
      text: {
        type: "plain_text",
        text: clipPlain(`Batch triage: ${summary.triaged} of ${summary.listed} alerts`, LIMITS.header),
      },
    },
    {
      type: "section",
      fields: [
        mrkdwn(
          `*By disposition*\n${counts.length ? counts.map(([d, n]) => `${safeText(d, 40)}: ${n}`).join("\n") : "none"}`,
        ),
        mrkdwn(`*Waiting for approval*\n${summary.pendingApprovals}`),
        mrkdwn(`*Failed*\n${summary.failures.length}`),
        mrkdwn(`*Already taken*\n${summary.skippedAlreadyTaken}`),
        mrkdwn(`*Taken over*\n${summary.tookOver} from stopped workers`),
        mrkdwn(`*Duration*\n${seconds} s`),
        mrkdwn(`*Throughput*\n${rate} alerts/s`),
      ],
    },
  ];
  if (summary.failures.length) {
    const shown = summary.failures.slice(0, MAX_FAILURES);
    const more = summary.failures.length - shown.length;
    const lines = shown.map(
      (f) => `• \`${safeText(f.alertId.replace(/`/g, "'"), 100)}\` ${safeText(f.error, 400)}`,
    );
    if (more > 0) lines.push(`…and ${more} more`);
    blocks.push({ type: "section", text: mrkdwn(`*Failures*\n${lines.join("\n")}`) });
  }
  if (summary.stopped) {
    const abandoned = summary.abandoned.length
      ? `; ${summary.abandoned.length} abandoned in flight (claims held until their lease passes): ${safeText(summary.abandoned.slice(0, 10).join(", "), 1000)}`
      : "";
    blocks.push({
      type: "section",
      text: mrkdwn(`*Stopped early*: ${summary.notStarted} not started (left for the next run)${abandoned}`),
    });
  }
  const lost = summary.lostLeases ? ` · ${summary.lostLeases} triaged after their lease passed` : "";
  blocks.push({ type: "context", elements: [mrkdwn(`worker ${safeText(summary.worker, 200)}${lost}`)] });
  const text = `Batch triage: ${summary.triaged} of ${summary.listed} alerts, ${summary.pendingApprovals} waiting for approval, ${summary.failures.length} failed, ${seconds} s, ${rate} alerts/s${summary.stopped ? ", stopped early" : ""}`;
  return { text, blocks };
}

/** Posts the digest with chat.postMessage; a Slack refusal becomes one line (TriageError). */
export async function postBatchDigest(options: {
  token: string;
  channel: string;
  summary: BatchSummary;
  slackApiUrl?: string;
}): Promise<void> {
  const client = new webApi.WebClient(options.token, webClientOptions(options.slackApiUrl ?? null));
  const digest = batchDigest(options.summary);
  try {
    await client.chat.postMessage({
      channel: options.channel,
      text: digest.text,
      blocks: digest.blocks,
      unfurl_links: false,
    });
  } catch (error) {
    throw slackFailure(`could not post the batch digest to ${options.channel}`, error);
  }
}
