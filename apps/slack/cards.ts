/**
 * The verdict card: a case report as Block Kit. A pure function of the report, so the card posted after
 * triage and the one that replaces it after an approval come from the same code. Every string taken from
 * the report is escaped (it may come from an attacker's email) and clipped to Slack's limits.
 */
import type { types } from "@slack/bolt";
import type { ReportAction, TriageReport } from "../../agent/report.ts";
import { clipPlain, LIMITS, safeText } from "./mrkdwn.ts";

export type Block = types.KnownBlock;

export interface SlackMessage {
  /** Notification and screen-reader text; escaped like the blocks. */
  text: string;
  blocks: Block[];
}

export const ACTION_IDS = { approve: "triage_approve", deny: "triage_deny" } as const;

const MAX_EVIDENCE = 5;
const MAX_RATIONALE = 3;

const mark: Record<string, string> = {
  malicious: ":red_circle:",
  suspicious: ":large_orange_circle:",
  benign: ":large_green_circle:",
};

const mrkdwn = (text: string): types.MrkdwnElement => ({ type: "mrkdwn", text, verbatim: true });
const plain = (text: string, max: number): types.PlainTextElement => ({
  type: "plain_text",
  text: clipPlain(text, max),
  emoji: true,
});
const section = (text: string): types.SectionBlock => ({
  type: "section",
  text: mrkdwn(text),
});
/** A code span: backticks inside would end it early, so they become quotes. */
const code = (text: string, max: number) => `\`${safeText(text.replace(/`/g, "'"), max)}\``;
const percent = (confidence: number) => `${Math.round(confidence * 100)}%`;

/** Joins lines into one section text, dropping whole lines that would pass the limit. */
function lines(title: string, items: string[]): string {
  let text = title;
  for (const item of items) {
    if (text.length + 1 + item.length > LIMITS.sectionText - 2) return `${text}\n…`;
    text += `\n${item}`;
  }
  return text;
}

function actionBlock(action: ReportAction): types.SectionBlock {
  const head = `*${safeText(action.id, 40)}* ${safeText(action.type, 60)} → ${code(action.target, 300)}`;
  const policy = `policy: *${action.decision}* (rule ${code(action.rule, 120)})  ·  status: *${action.status}*`;
  const detail = action.detail ? `\n_${safeText(action.detail, 600)}_` : "";
  return section(`${head}\n${policy}${detail}`);
}

function headBlocks(report: TriageReport): Block[] {
  const { verdict, alert } = report;
  const fields = [
    `*Disposition*\n${mark[verdict.disposition] ?? ""} ${safeText(verdict.disposition, 40)}`,
    `*Confidence*\n${percent(verdict.confidence)}`,
    `*Severity*\n${safeText(verdict.severity, 40)}`,
    `*Category*\n${safeText(verdict.category, 200)}`,
    `*Case*\n${code(report.caseId, 100)} ${report.status === "awaiting_approval" ? "awaiting approval" : "closed"}`,
    `*Mode*\n${report.dryRun ? "dry run: nothing was executed" : "execute"}`,
  ];
  return [
    {
      type: "header",
      text: plain(`${verdict.disposition.toUpperCase()} · ${report.alertId}`, LIMITS.header),
    },
    {
      type: "section",
      text: mrkdwn(
        `*${safeText(alert.title, 1500)}*\n${safeText(`${alert.family}/${alert.type}`, 200)} · alert ${code(alert.id, 200)}`,
      ),
      fields: fields.map(mrkdwn),
    },
    section(`*Summary*\n${safeText(verdict.summary || "(none)", LIMITS.sectionText - 20)}`),
  ];
}

function reasonBlocks(report: TriageReport): Block[] {
  const blocks: Block[] = [];
  const why = report.verdict.rationale.slice(0, MAX_RATIONALE).map((r) => `• ${safeText(r, 500)}`);
  if (why.length) blocks.push(section(lines("*Why*", why)));
  const cited = report.evidence.filter((e) => e.cited).slice(0, MAX_EVIDENCE);
  if (cited.length) {
    const items = cited.map(
      (e) => `• ${code(e.id, 60)} ${safeText(e.tool, 60)}: ${safeText(e.summary, 500)}`,
    );
    blocks.push(section(lines("*Evidence (cited)*", items)));
  }
  return blocks;
}

/** The policy's approvers in words: "*" is anyone (the default policy's setting). */
function mayDecide(approvers: string[]): string {
  if (approvers.includes("*")) return "anyone (the policy names no approvers)";
  return safeText(approvers.join(", ") || "nobody", 1000);
}

function decisionBlocks(report: TriageReport): Block[] {
  if (report.approval) {
    const { approved, by, at } = report.approval;
    return [
      {
        type: "context",
        elements: [
          mrkdwn(`*${approved ? "Approved" : "Denied"}* by ${safeText(by, 200)} at ${safeText(at, 40)}`),
        ],
      },
    ];
  }
  if (report.status !== "awaiting_approval") return [];
  const approvers = [
    ...new Set(report.actions.flatMap((a) => (a.status === "pending_approval" ? a.approvers : []))),
  ];
  const confirm = (verb: string): types.Confirm => ({
    title: plain(`${verb} pending actions?`, 100),
    text: plain(`${verb} every action of ${report.caseId} that waits for a person.`, 300),
    confirm: plain(verb, 30),
    deny: plain("Cancel", 30),
  });
  return [
    {
      type: "context",
      elements: [mrkdwn(`Waiting for a person. May decide: ${mayDecide(approvers)}`)],
    },
    {
      type: "actions",
      block_id: "triage_decision",
      elements: [
        {
          type: "button",
          action_id: ACTION_IDS.approve,
          text: plain("Approve", LIMITS.buttonText),
          style: "primary",
          value: report.caseId,
          confirm: confirm("Approve"),
        },
        {
          type: "button",
          action_id: ACTION_IDS.deny,
          text: plain("Deny", LIMITS.buttonText),
          style: "danger",
          value: report.caseId,
          confirm: confirm("Deny"),
        },
      ],
    },
  ];
}

/** The verdict card for a case report: at most 50 blocks, each within Slack's text limits. */
export function verdictCard(report: TriageReport): SlackMessage {
  const head = [...headBlocks(report), ...reasonBlocks(report)];
  const tail: Block[] = [
    ...decisionBlocks(report),
    {
      type: "context",
      elements: [
        mrkdwn(
          `reasoner ${safeText(report.verdict.reasoner, 100)}${report.verdict.attack.length ? ` · ATT&amp;CK ${safeText(report.verdict.attack.join(", "), 500)}` : ""}`,
        ),
      ],
    },
  ];
  const actions: Block[] = report.actions.length
    ? [{ type: "divider" }, section(`*Proposed actions* (${report.actions.length})`)]
    : [];
  // Room for every action, or for all that fit plus one line saying how many were left out.
  const room = LIMITS.blocks - head.length - tail.length - actions.length;
  const shown = report.actions.length <= room ? report.actions : report.actions.slice(0, room - 1);
  actions.push(...shown.map(actionBlock));
  if (shown.length < report.actions.length) {
    actions.push({
      type: "context",
      elements: [
        mrkdwn(
          `…and ${report.actions.length - shown.length} more: \`triage cases show ${safeText(report.caseId, 100)}\``,
        ),
      ],
    });
  }
  const text = safeText(
    `${report.verdict.disposition.toUpperCase()} ${percent(report.verdict.confidence)} · ${report.alertId}: ${report.alert.title}`,
    LIMITS.fallbackText,
  );
  return { text, blocks: [...head, ...actions, ...tail] };
}
