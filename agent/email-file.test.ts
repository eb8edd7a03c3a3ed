import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openLab } from "../tools/lab/index.ts";
import { createLabToolset } from "../tools/lab/ports.ts";
import type { SiemSearch } from "../core/ports.ts";
import { isTriageError } from "../core/errors.ts";
import { readMessageFile, reportedMessage, withReportedMessages } from "./email-file.ts";
import { triageMessages } from "./testing/email-runs.ts";

const dir = mkdtempSync(join(tmpdir(), "soc-triage-email-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let databases = 0;
const freshDb = () => join(dir, `cases-${++databases}.db`);

/** Two messages of one length that differ only mid-body: a lunch menu, and a password-reset lure. */
function pair(): [string, string] {
  const message = (middle: string) =>
    [
      "From: Facilities Desk <desk@facilities-notice.test>",
      "To: ann@northwindtraders.com",
      "Subject: Notice for all staff this week",
      "Date: Tue, 10 Nov 2026 09:00:00 +0000",
      "Message-ID: <notice-0001@facilities-notice.test>",
      "Content-Type: text/plain; charset=utf-8",
      "",
      "Hello all,",
      "",
      "This is the weekly notice from the desk. Please read it before Friday.",
      middle,
      "Thanks for your patience, and have a good week. The desk is open from eight to six, Monday to Friday,",
      "and the usual phone number still works if anything in the building needs attention.",
      "Facilities Desk",
      "",
    ].join("\r\n");
  const menu = "The lunch menu is on the board by the kitchen, nothing else is needed.";
  const lure = "Your password expires: verify at https://facilities-notice.test/login";
  return [message(menu), message(lure.padEnd(menu.length, " "))];
}

describe("triage email FILE", () => {
  it("gives a message the same verdict alone and after a look-alike in one mbox (parse cache)", async () => {
    const [a, b] = pair();
    expect(a.length).toBe(b.length);
    expect(a.slice(0, 128)).toBe(b.slice(0, 128));
    expect(a.slice(-128)).toBe(b.slice(-128));
    const mbox = join(dir, "pair.mbox");
    writeFileSync(
      mbox,
      [a, b].map((m) => `From desk@facilities-notice.test Tue Nov 10 09:00:00 2026\n${m}\n`).join(""),
    );
    const raws = readMessageFile(mbox).messages;
    expect(raws).toHaveLength(2);
    expect(raws[0]?.length).toBe(raws[1]?.length);
    const together = await triageMessages(raws, { dir, caseDb: freshDb() });
    const alone = await triageMessages([raws[1] ?? ""], { dir, caseDb: freshDb() });
    const [afterA, bAlone] = [together.reports[1], alone.reports[0]];
    expect(bAlone?.findings.map((f) => f.id)).toContain("email.url.login_page");
    expect(together.reports[0]?.findings.map((f) => f.id)).not.toContain("email.url.login_page");
    expect(afterA?.findings.map((f) => f.id).sort()).toEqual(bAlone?.findings.map((f) => f.id).sort());
    expect(afterA?.verdict.disposition).toBe(bAlone?.verdict.disposition);
    expect(afterA?.verdict.category).toBe(bAlone?.verdict.category);
  });

  it("says no sender history is available for a file triaged against the lab, and adds no weight", async () => {
    const [, lure] = pair();
    const [report] = (await triageMessages([lure], { dir, caseDb: freshDb() })).reports;
    expect(report?.findings).toContainEqual(
      expect.objectContaining({ id: "email.sender.history_unavailable", weight: 0 }),
    );
    expect(report?.findings.map((f) => f.id)).not.toContain("email.sender.first_seen");
    expect(report?.steps.filter((s) => s.tool === "siem_search" && s.args.dataset === "mail")).toEqual([]);
  });
});

describe("withReportedMessages", () => {
  it("keeps a deployment's SIEM as the history of a file's messages, and the lab's for the lab's alerts", async () => {
    const [, lure] = pair();
    const file = await reportedMessage(lure, { file: "x.eml", index: 0, now: new Date() });
    const labAlert = { ...file.alert, id: "lab-alert-1", source: "lab" };
    const db = openLab(":memory:", { seed: 7 });
    try {
      const lab = createLabToolset(db);
      const overLab = withReportedMessages(lab, [file]).siem;
      expect(overLab.speaksFor?.(file.alert)).toBe(false);
      expect(overLab.speaksFor?.(labAlert)).toBe(true);
      const splunk: SiemSearch = { vendor: "splunk", searchEvents: () => Promise.resolve([]) };
      const overSplunk = withReportedMessages({ ...lab, siem: splunk }, [file]).siem;
      expect(overSplunk.speaksFor?.(file.alert)).toBe(true);
    } finally {
      db.close();
    }
  });
});

describe("readMessageFile's refusals", () => {
  const dir = mkdtempSync(join(tmpdir(), "message-file-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const refusal = (path: string): string => {
    try {
      readMessageFile(path);
    } catch (error) {
      return isTriageError(error) && error.code === "BAD_INPUT"
        ? error.message
        : `unexpected: ${String(error)}`;
    }
    return "read";
  };

  it("says not found only for a missing file, and what else went wrong otherwise", () => {
    const missing = join(dir, "missing.eml");
    expect(refusal(missing)).toBe(`message file ${missing} not found`);
    const loop = join(dir, "loop.eml");
    symlinkSync(loop, loop);
    expect(refusal(loop)).toMatch(new RegExp(`^cannot read message file .*loop\\.eml: ELOOP`));
    expect(refusal(dir)).toBe(`${dir} is a directory, not a message file`);
  });
});
