import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openCaseDatabase } from "../memory/db.ts";
import { SqliteCaseMemory } from "../memory/case-store.ts";
import type { TriageReport } from "./report.ts";
import { triageMessages } from "./testing/email-runs.ts";

// Through the same path as `triage email stream.mbox`: the reported-message overlay, the real graph, the
// offline engine and case memory on disk.
const dir = mkdtempSync(join(tmpdir(), "soc-triage-memory-stream-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let databases = 0;
const freshDb = () => join(dir, `cases-${++databases}.db`);

/** Ordinary business mail from one company, by many people; one IT notice reads like a lure. */
function businessMail(i: number): string {
  const people = [
    "jeff.skilling",
    "sally.beck",
    "vince.kaminski",
    "louise.kitchen",
    "mark.taylor",
    "kay.mann",
  ];
  const topics = [
    [
      "Gas desk schedule for next week",
      "Attached is the revised desk schedule; let me know if Thursday works.",
    ],
    [
      "Re: contract draft",
      "I marked up section 4 and sent it back to legal this morning. Thanks for the quick turn.",
    ],
    ["Lunch with the Houston team", "We booked the usual place at noon on Wednesday. See you there."],
    ["Q3 numbers", "The Q3 summary is on the shared drive under finance/q3. Call me if anything looks off."],
    [
      "Offsite agenda",
      "Here is the agenda for the offsite, see https://www.enron-mail.test/offsite/agenda for rooms.",
    ],
  ];
  const [subject, body] = topics[i % topics.length] ?? ["", ""];
  const sender = `${people[i % people.length]}${i >= people.length ? `.${i}` : ""}@enron-mail.test`;
  return [
    `From: ${sender}`,
    "To: ann@northwindtraders.com",
    `Subject: ${subject}`,
    `Date: Tue, 10 Nov 2026 0${i % 10}:00:00 +0000`,
    `Message-ID: <biz-${i}@enron-mail.test>`,
    "Content-Type: text/plain; charset=utf-8",
    "",
    "Hi Ann,",
    "",
    body,
    "",
    "Regards",
    "",
  ].join("\r\n");
}

/** The company's IT desk asking everyone to re-verify their password: reads like a lure. */
const itNotice = [
  "From: IT Service Desk <it.desk@enron-mail.test>",
  "To: ann@northwindtraders.com",
  // A forwarder broke authentication: what turns this real notice into the engine's false positive.
  "Authentication-Results: mx.northwindtraders.com; spf=fail smtp.mailfrom=enron-mail.test; dkim=none; dmarc=fail header.from=enron-mail.test",
  "Subject: Action required: verify your account today",
  "Date: Tue, 10 Nov 2026 07:00:00 +0000",
  "Message-ID: <it-notice-1@enron-mail.test>",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "Dear user,",
  "",
  "Your password expires today. Verify your account now or lose access:",
  "https://enron-mail-helpdesk.test/login/verify",
  "",
  "IT Service Desk",
  "",
].join("\r\n");

/** A case the engine once got wrong: mail from the company, recorded as malicious, never reviewed. */
async function plantFalsePositive(caseDb: string): Promise<void> {
  const db = openCaseDatabase(caseDb);
  const memory = new SqliteCaseMemory(db, { now: () => new Date("2026-11-09T12:00:00Z") });
  const caseId = await memory.createCase(
    {
      id: "planted-1",
      source: "file",
      family: "email",
      type: "user_reported_phish",
      title: "Reported message",
      description: "",
      severity: "medium",
      createdAt: "2026-11-09T12:00:00Z",
      observables: [
        { type: "email", value: "former.trader@enron-mail.test", role: "sender" },
        { type: "domain", value: "enron-mail.test", role: "sender" },
      ],
      raw: {},
    },
    { reasoner: "offline" },
  );
  await memory.saveVerdict(
    caseId,
    {
      disposition: "malicious",
      confidence: 0.95,
      severity: "high",
      category: "credential_phishing",
      attack: [],
      summary: "planted",
      rationale: [],
      evidenceIds: [],
      findingIds: [],
      reasoner: "offline",
    },
    [],
  );
  db.close();
}

const dispositions = (run: { reports: TriageReport[] }) =>
  new Map(run.reports.map((r) => [r.alertId, r.verdict.disposition]));

describe("case memory across a stream of reported mail", () => {
  it("one false positive on a company's domain does not flip its next 100 messages", async () => {
    const mail = Array.from({ length: 100 }, (_, i) => businessMail(i));
    const planted = freshDb();
    await plantFalsePositive(planted);
    const { reports } = await triageMessages(mail, { dir, caseDb: planted });
    expect(reports.filter((r) => r.verdict.disposition === "malicious")).toEqual([]);
    for (const report of reports)
      expect(report.findings.filter((f) => f.id.startsWith("memory.") && f.weight !== 0)).toEqual([]);
    // It still informs: the earlier case is listed, and for what it is worth.
    expect(reports[0]?.related).toEqual([
      expect.objectContaining({
        alertId: "planted-1",
        disposition: "malicious",
        standing: "engine verdict, unconfirmed",
      }),
    ]);
  });

  it("reaches the same verdicts whatever the order, one lure among the company's mail", async () => {
    // The lure first: every later message from the company could lean on its verdict.
    const mail = [itNotice, ...Array.from({ length: 15 }, (_, i) => businessMail(i))];
    const forward = await triageMessages(mail, { dir, caseDb: freshDb() });
    const backward = await triageMessages([...mail].reverse(), { dir, caseDb: freshDb() });
    expect(dispositions(backward)).toEqual(dispositions(forward));
    expect(forward.reports[0]?.verdict.disposition).toBe("malicious");
  });

  it("lets a confirmed malicious case push a later message that shares its exact URL", async () => {
    const lure = (sender: string, id: string) =>
      [
        `From: Billing <${sender}>`,
        "To: ann@northwindtraders.com",
        "Subject: Your statement",
        `Message-ID: <${id}@invoices.test>`,
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Your statement is ready: https://statements-view.test/s/8f2a91",
        "",
      ].join("\r\n");
    const first = lure("billing@invoices.test", "s-1");
    const later = lure("accounts@other-invoices.test", "s-2");
    const caseDb = freshDb();
    const [earlier] = (await triageMessages([first], { dir, caseDb })).reports;
    const db = openCaseDatabase(caseDb);
    await new SqliteCaseMemory(db, { now: () => new Date() }).recordFeedback(earlier?.caseId ?? "", {
      disposition: "malicious",
      by: "alice",
      comment: "credential harvest",
    });
    db.close();
    const [confirmed] = (await triageMessages([later], { dir, caseDb })).reports;
    const [alone] = (await triageMessages([later], { dir, caseDb: freshDb() })).reports;
    expect(confirmed?.findings).toContainEqual(
      expect.objectContaining({
        id: "memory.confirmed_malicious",
        weight: 2,
        title: expect.stringContaining("confirmed malicious by alice"),
      }),
    );
    expect(confirmed?.related[0]).toMatchObject({ standing: "confirmed by alice", disposition: "malicious" });
    expect(confirmed?.verdict.maliciousProbability ?? 0).toBeGreaterThan(
      alone?.verdict.maliciousProbability ?? 1,
    );
  });
});
