import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readMessageFile } from "./email-file.ts";
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
    const raws = readMessageFile(mbox);
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
});
