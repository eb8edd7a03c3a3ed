import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { campaignLab } from "../../tools/lab/campaigns.ts";
import { campaignFingerprint } from "../../tools/analyzers/email/campaign-fingerprint.ts";
import { campaignKeys } from "../../tools/analyzers/email/campaign-join.ts";
import { parseEmail } from "../../tools/analyzers/email/parse.ts";
import { loadConfig } from "../config.ts";
import { reportedMessage, withReportedMessages, type ReportedMessage } from "../email-file.ts";
import { openRuntime, type OpenedRuntime } from "../setup.ts";
import { reviseCampaign, settleCampaign, triageReport, type CampaignRuntime } from "./triage-report.ts";

const dir = mkdtempSync(join(tmpdir(), "soc-triage-campaigns-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lab = campaignLab(11);
const payroll = lab.filter((m) => m.group === "attack:payroll").slice(0, 3);
const newsletter = lab.filter((m) => m.group.startsWith("legit:newsletter-")).slice(0, 2);
const simulation = [
  "Authentication-Results: mx.northwindtraders.com; spf=pass smtp.mailfrom=it-notice.example; dkim=pass header.d=it-notice.example; dmarc=pass header.from=it-notice.example",
  "From: IT Service Desk <desk@it-notice.example>",
  "To: jane.doe@northwindtraders.com",
  "Subject: Your password expires today",
  "Message-ID: <sim-1@it-notice.example>",
  "X-PHISHTEST: 7f3a",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "Your password expires today. Sign in now to keep it: https://it-notice.example/login",
  "",
].join("\r\n");

let opened: OpenedRuntime;
let payrollCampaign = "";
let runtime: CampaignRuntime;
const reported: ReportedMessage[] = [];
const report = async (raw: string, reporter: string) => {
  const m = await reportedMessage(raw, { file: "t.eml", index: reported.length, now: new Date(), reporter });
  reported.push(m);
  return triageReport(runtime, m.alert.id, { dryRun: true });
};

beforeAll(async () => {
  opened = await openRuntime(loadConfig({ db: join(dir, "cases.db"), labDb: join(dir, "lab.db") }, {}), {
    checkpointer: false,
    wrapTools: (tools) => withReportedMessages(tools, reported),
  });
  const organization = { ...opened.runtime.deps.organization, simulationPlatforms: ["knowbe4" as const] };
  runtime = {
    ...opened.runtime,
    deps: { ...opened.runtime.deps, organization },
    campaigns: opened.campaigns,
  };
}, 60_000);
afterAll(() => opened.close());

describe("triage of reported mail in campaigns", () => {
  it("investigates the first report and attaches later ones without an investigation, answering each", async () => {
    const [a, b, c] = payroll;
    if (!a || !b || !c) throw new Error("scenario missing");
    const first = await report(a.raw, a.reporter);
    expect(first.joined).toBe("first");
    payrollCampaign = first.campaign?.id ?? "";
    expect(first.report?.steps.length).toBeGreaterThan(0);
    const second = await report(b.raw, b.reporter);
    expect(second.joined).toBe("body_hash");
    expect(second.campaign).toEqual({ id: first.campaign?.id, size: 2, firstCaseId: first.caseId });
    expect(second.report?.steps).toEqual([]);
    expect(second.report?.verdict.disposition).toBe(first.report?.verdict.disposition);
    expect(second.report?.actions).toEqual([
      expect.objectContaining({
        type: "notify_reporter",
        target: b.reporter,
        decision: "allow",
        status: "dry_run",
      }),
    ]);
    expect((await opened.memory.getCase(second.caseId)).status).toBe("closed");
    const third = await report(c.raw, c.reporter);
    expect(third.campaign?.size).toBe(3);
  }, 60_000);

  it("keeps one newsletter's issues out of each other's campaigns", async () => {
    const [a, b] = newsletter;
    if (!a || !b) throw new Error("scenario missing");
    const one = await report(a.raw, a.reporter);
    const two = await report(b.raw, b.reporter);
    expect(one.campaign?.id).not.toBe(two.campaign?.id);
  }, 60_000);

  it("closes a sanctioned simulation without investigating or containing it, and thanks the reporter", async () => {
    const first = await report(simulation, "jane.doe@northwindtraders.com");
    expect(first.joined).toBe("simulation");
    expect(first.report?.verdict).toMatchObject({ category: "phishing_simulation", disposition: "benign" });
    expect(first.report?.actions.map((a) => a.type)).toEqual(["notify_reporter"]);
    const again = await report(simulation, "omar.haddad@northwindtraders.com");
    expect(again.joined).toBe("message_id");
    expect(again.report?.actions[0]?.policyReason).toContain("notify");
  }, 60_000);

  it("answers reports that joined while the first was still open once the verdict is in", async () => {
    const [, , c] = payroll;
    if (!c) throw new Error("scenario missing");
    // Another campaign, whose first report is still being investigated elsewhere (no verdict yet).
    const raw = c.raw.replace(/payroll-northwind-hr/g, "payroll-nw-hr");
    const fp = campaignFingerprint(await parseEmail(raw));
    const opening = await reportedMessage(raw, { file: "p.eml", index: 100, now: new Date() });
    const pendingFirst = await opened.memory.createCase(opening.alert, { reasoner: "test" });
    const campaignId = await runtime.campaigns.create(
      pendingFirst,
      { keys: campaignKeys(fp), fingerprint: fp },
      null,
    );
    const joined = await report(raw, "ann@northwindtraders.com");
    expect(joined).toMatchObject({ status: "pending", report: null, campaign: { id: campaignId, size: 2 } });
    expect((await opened.memory.getCase(joined.caseId)).disposition).toBeNull();
    const verdict = (await opened.campaigns.get(payrollCampaign)).verdict;
    if (!verdict) throw new Error("expected the payroll campaign's verdict");
    await runtime.campaigns.markAnswered(
      pendingFirst,
      await runtime.campaigns.setVerdict(campaignId, verdict, "engine"),
    );
    expect(await settleCampaign(runtime, campaignId, { dryRun: true })).toBe(1);
    expect(await opened.memory.getCase(joined.caseId)).toMatchObject({
      status: "closed",
      disposition: verdict.disposition,
    });
  }, 60_000);

  it("a revision reaches every report and reporter of the campaign", async () => {
    const campaignId = payrollCampaign;
    const fed: string[] = [];
    const result = await reviseCampaign(
      runtime,
      campaignId,
      { disposition: "malicious", by: "alice", comment: "confirmed with HR" },
      {
        dryRun: true,
        recordFeedback: (caseId) => {
          fed.push(caseId);
        },
      },
    );
    expect(fed).toHaveLength(3);
    expect(result.answered).toBe(3);
    for (const m of await opened.campaigns.members(campaignId))
      expect((await opened.memory.getCase(m.caseId)).disposition).toBe("malicious");
    expect(await opened.campaigns.get(campaignId)).toMatchObject({
      verdictBy: "person:alice",
      outcome: "phishing",
    });
  }, 60_000);
});
