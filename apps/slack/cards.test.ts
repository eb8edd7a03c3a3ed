/** The verdict card and batch digest as pure functions: content, escaping of hostile text, Slack's limits. */
import { describe, expect, it } from "vitest";
import type { ReportAction, TriageReport } from "../../agent/report.ts";
import type { BatchSummary } from "../batch.ts";
import { ACTION_IDS, verdictCard, type Block } from "./cards.ts";
import { batchDigest } from "./digest.ts";
import { clip, escapeMrkdwn, safeText } from "./mrkdwn.ts";

const action = (over: Partial<ReportAction>): ReportAction => ({
  id: "act-1",
  type: "revoke_sessions",
  target: "dana@corp.test",
  targetKind: "user",
  reason: "",
  blastRadius: 1,
  targetTags: [],
  decision: "allow",
  rule: "revoke-sessions-malicious",
  policyReason: "",
  approvers: [],
  status: "dry_run",
  detail: "",
  ...over,
});

const REPORT: TriageReport = {
  caseId: "case-0123456789",
  alertId: "LAB-0027",
  status: "awaiting_approval",
  dryRun: true,
  alert: {
    id: "LAB-0027",
    source: "lab",
    family: "identity",
    type: "impossible_travel",
    title: "Impossible travel for dana@corp.test",
    severity: "medium",
    createdAt: "2026-11-05T05:32:00.000Z",
  },
  verdict: {
    disposition: "malicious",
    confidence: 0.987,
    severity: "high",
    category: "account_takeover",
    attack: ["T1078"],
    summary: "Sign-in from NG after a phishing click.",
    rationale: ["Threat intel: 154.111.25.22 is malicious", "NG is new for this user"],
    evidenceIds: ["ev-intel"],
    reasoner: "offline",
  },
  findings: [],
  evidence: [
    {
      id: "ev-intel",
      tool: "intel_lookup",
      args: {},
      summary: "154.111.25.22 malicious (hosting)",
      cited: true,
    },
    { id: "ev-other", tool: "siem_search", args: {}, summary: "UNCITED-EVIDENCE", cited: false },
  ],
  steps: [],
  related: [],
  actions: [
    action({}),
    action({
      id: "act-2",
      type: "reset_password",
      decision: "require_approval",
      rule: "password-and-account-need-a-person",
      approvers: ["alice", "bob"],
      status: "pending_approval",
    }),
  ],
  approval: null,
  notes: [],
};

/** Every string a person could see: text objects, fields, context elements, button labels. */
function texts(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(texts);
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) =>
    key === "text" && typeof v === "string" ? [v] : texts(v),
  );
}
const all = (blocks: Block[]) => texts(blocks).join("\n");
const buttons = (blocks: Block[]) =>
  blocks.flatMap((b) => (b.type === "actions" ? b.elements : [])).filter((e) => e.type === "button");

describe("verdictCard", () => {
  it("shows the verdict, cited evidence, each action's policy decision and status, and decision buttons", () => {
    const { text, blocks } = verdictCard(REPORT);
    const shown = all(blocks);
    expect(blocks[0]).toEqual({
      type: "header",
      text: { type: "plain_text", text: "MALICIOUS · LAB-0027", emoji: true },
    });
    for (const part of [
      "*Disposition*\n:red_circle: malicious",
      "*Confidence*\n99%",
      "*Severity*\nhigh",
      "*Category*\naccount_takeover",
      "Sign-in from NG after a phishing click.",
      "`ev-intel` intel_lookup: 154.111.25.22 malicious (hosting)",
      "*act-2* reset_password → `dana@corp.test`\npolicy: *require_approval* (rule `password-and-account-need-a-person`)  ·  status: *pending_approval*",
      "*act-1* revoke_sessions",
      "status: *dry_run*",
      "May decide: alice, bob",
      "dry run: nothing was executed",
    ])
      expect(shown).toContain(part);
    expect(shown).not.toContain("UNCITED-EVIDENCE");
    expect(text).toBe("MALICIOUS 99% · LAB-0027: Impossible travel for dana@corp.test");
    expect(buttons(blocks).map((b) => [b.action_id, b.value, b.style])).toEqual([
      [ACTION_IDS.approve, "case-0123456789", "primary"],
      [ACTION_IDS.deny, "case-0123456789", "danger"],
    ]);
  });

  it("once decided, drops the buttons and says who decided", () => {
    const decided: TriageReport = {
      ...REPORT,
      status: "closed",
      approval: { approved: false, by: "alice", at: "2026-11-05T06:00:00.000Z" },
      actions: REPORT.actions.map((a) => (a.id === "act-2" ? { ...a, status: "denied" } : a)),
    };
    const { blocks } = verdictCard(decided);
    expect(buttons(blocks)).toEqual([]);
    expect(all(blocks)).toContain("*Denied* by alice at 2026-11-05T06:00:00.000Z");
    expect(all(blocks)).toContain("status: *denied*");
    expect(all(blocks)).not.toContain("May decide");
  });

  it("says in words when the policy lets anyone decide", () => {
    const open = verdictCard({
      ...REPORT,
      actions: REPORT.actions.map((a) => (a.id === "act-2" ? { ...a, approvers: ["*"] } : a)),
    });
    expect(all(open.blocks)).toContain("May decide: anyone (the policy names no approvers)");
  });

  it("escapes hostile alert and evidence text so it cannot mention anyone or forge a link", () => {
    const hostile = "<!channel> pay now <https://evil.test/login|Microsoft 365> & <@U0ADMIN> <!subteam^S1>";
    const { text, blocks } = verdictCard({
      ...REPORT,
      alert: { ...REPORT.alert, title: hostile },
      verdict: { ...REPORT.verdict, summary: hostile, rationale: [hostile] },
      evidence: [{ id: "ev-intel", tool: "mail_get_message", args: {}, summary: hostile, cited: true }],
      actions: [action({ target: "`<!here>`", detail: hostile })],
    });
    for (const shown of [text, ...texts(blocks)]) {
      expect(shown).not.toMatch(/<[!@#]|<https?:/);
      expect(shown).not.toMatch(/&(?!amp;|lt;|gt;)/);
    }
    expect(all(blocks)).toContain(
      "&lt;!channel&gt; pay now &lt;https://evil.test/login|Microsoft 365&gt; &amp; &lt;@U0ADMIN&gt;",
    );
    // Untrusted text is sent verbatim: Slack must not turn names or URLs in it into links or mentions.
    const mrkdwn = JSON.stringify(blocks).match(/"type":"mrkdwn"[^}]*}/g) ?? [];
    expect(mrkdwn.length).toBeGreaterThan(5);
    expect(mrkdwn.every((m) => m.includes('"verbatim":true'))).toBe(true);
  });

  it("carries no credential, even one quoted in a verdict or an evidence summary", () => {
    const leaked =
      "vendor said: authorization: Bearer unregistered-token-777 and eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijk";
    const card = verdictCard({
      ...REPORT,
      verdict: { ...REPORT.verdict, summary: leaked, rationale: [leaked] },
      evidence: [{ id: "ev-intel", tool: "intel_lookup", args: {}, summary: leaked, cited: true }],
    });
    const text = JSON.stringify(card);
    expect(text).toContain("vendor said");
    expect(text).not.toMatch(/unregistered-token-777|eyJhbGciOiJIUzI1NiJ9/);
  });

  it("stays within 50 blocks and Slack's text limits however large the report", () => {
    const huge = "x&<>".repeat(5_000);
    const { blocks, text } = verdictCard({
      ...REPORT,
      alert: { ...REPORT.alert, title: huge },
      verdict: { ...REPORT.verdict, summary: huge, rationale: Array(50).fill(huge), category: huge },
      evidence: Array.from({ length: 40 }, (_, i) => ({
        id: `ev-${i}`,
        tool: "t",
        args: {},
        summary: huge,
        cited: true,
      })),
      actions: Array.from({ length: 120 }, (_, i) =>
        action({ id: `act-${i}`, target: huge, detail: huge, status: "pending_approval" }),
      ),
    });
    expect(blocks.length).toBe(50);
    expect(text.length).toBeLessThanOrEqual(4000);
    for (const block of blocks) {
      if (block.type === "header") expect(block.text.text.length).toBeLessThanOrEqual(150);
      if (block.type === "section") {
        expect(block.text?.text.length ?? 0).toBeLessThanOrEqual(3000);
        expect(block.fields?.length ?? 0).toBeLessThanOrEqual(10);
        for (const field of block.fields ?? []) expect(field.text.length).toBeLessThanOrEqual(2000);
      }
    }
    expect(all(blocks)).toMatch(/…and \d+ more: `triage cases show case-0123456789`/);
    expect(buttons(blocks)).toHaveLength(2);
  });
});

describe("mrkdwn", () => {
  it("escapes the three characters Slack reads as markup", () => {
    expect(escapeMrkdwn("a & <b> c")).toBe("a &amp; &lt;b&gt; c");
  });
  it("clips without cutting an entity in half", () => {
    expect(clip("ab&amp;cd", 5)).toBe("ab…");
    expect(safeText("&&&&", 8)).toBe("&amp;…");
    expect(clip("short", 5)).toBe("short");
  });
});

describe("batchDigest", () => {
  const summary: BatchSummary = {
    worker: "host:1:abc",
    listed: 12,
    triaged: 9,
    skippedAlreadyTaken: 1,
    tookOver: 2,
    lostLeases: 1,
    recoveredCases: 0,
    stopped: false,
    notStarted: 0,
    abandoned: [],
    byDisposition: { malicious: 4, benign: 5 },
    pendingApprovals: 3,
    failures: Array.from({ length: 7 }, (_, i) => ({ alertId: `LAB-${i}`, error: `boom <!channel> ${i}` })),
    durationMs: 2_500,
    alertsPerSecond: 3.6,
  };

  it("lists counts by disposition, approvals, the first failures with reasons, duration and rate", () => {
    const { text, blocks } = batchDigest(summary);
    const shown = all(blocks);
    expect(text).toBe("Batch triage: 9 of 12 alerts, 3 waiting for approval, 7 failed, 2.5 s, 3.6 alerts/s");
    for (const part of [
      "Batch triage: 9 of 12 alerts",
      "*By disposition*\nbenign: 5\nmalicious: 4",
      "*Waiting for approval*\n3",
      "*Failed*\n7",
      "*Duration*\n2.5 s",
      "*Throughput*\n3.6 alerts/s",
      "• `LAB-0` boom &lt;!channel&gt; 0",
      "• `LAB-4` boom",
      "…and 2 more",
    ])
      expect(shown).toContain(part);
    expect(shown).not.toContain("LAB-5");
    expect(shown).not.toContain("<!channel>");
    expect(shown).not.toContain("Stopped early");
    expect(shown).toContain("*Taken over*\n2 from stopped workers");
    expect(shown).toContain("1 triaged after their lease passed");
  });

  it("says when a stop signal ended the batch early", () => {
    const { text, blocks } = batchDigest({ ...summary, stopped: true, notStarted: 4, abandoned: ["LAB-8"] });
    expect(text).toMatch(/, stopped early$/);
    expect(all(blocks)).toContain(
      "*Stopped early*: 4 not started (left for the next run); 1 abandoned in flight (claims held until their lease passes): LAB-8",
    );
  });
});
