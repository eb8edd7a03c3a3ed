import { describe, expect, it } from "vitest";
import { analyzeRaw } from "./analyze-raw.ts";
import { looksLikeReply, quotedDomains } from "./thread.ts";

const QUOTED = [
  "-----Original Message-----",
  "From: Sam Patel <sam.patel@northwindtraders.com>",
  "Sent: Tuesday, November 10, 2026 4:12 PM",
  "To: Ana Ruiz <ana.ruiz@tailspinlogistics.com>",
  "Subject: RE: Invoice TL-88213",
  "",
  "Invoice TL-88213 is approved for Thursday's run.",
].join("\r\n");

async function idsOf(from: string, body: string, protectedDomains: string[] = []) {
  const subject = body.includes("Original Message") ? "RE: Invoice TL-88213" : "Invoice TL-88213";
  const raw = `From: Ana Ruiz <${from}>\r\nTo: sam.patel@northwindtraders.com\r\nSubject: ${subject}\r\n\r\n${body}\r\n`;
  return (await analyzeRaw(raw, { internalDomains: ["northwindtraders.com"], protectedDomains })).map(
    (s) => s.id,
  );
}

describe("thread hijack", () => {
  it("recognises a reply by its subject or its quoted history, and reads the quoted parties", () => {
    expect(looksLikeReply("RE: Invoice", "")).toBe(true);
    expect(looksLikeReply("Invoice", QUOTED)).toBe(true);
    expect(looksLikeReply("Invoice", "Hello, here is the invoice.")).toBe(false);
    expect(quotedDomains(QUOTED)).toEqual(["northwindtraders.com", "tailspinlogistics.com"]);
  });

  it.each([
    "ana.ruiz@xn--tailspinlogistis-hmn.com",
    "ana.ruiz@tailspinlogistlcs.com",
    "ana.ruiz@tailspin-logistics.com",
  ])("flags a reply from %s in a thread with tailspinlogistics.com, configured or not", async (from) => {
    expect(await idsOf(from, `Thanks Sam.\r\n\r\n${QUOTED}`, ["tailspinlogistics.com"])).toContain(
      "email.thread.lookalike_reply",
    );
    expect(await idsOf(from, `Thanks Sam.\r\n\r\n${QUOTED}`)).toContain("email.thread.lookalike_reply");
  });

  it("does not flag the real correspondent, a fresh message, or a typo of the sender's own domain in the history", async () => {
    expect(
      await idsOf("ana.ruiz@tailspinlogistics.com", `Thanks.\r\n\r\n${QUOTED}`, ["tailspinlogistics.com"]),
    ).not.toContain("email.thread.lookalike_reply");
    expect(await idsOf("ana.ruiz@tailspin-logistics.com", "Please find the new invoice.")).not.toContain(
      "email.thread.lookalike_reply",
    );
    const typo = `${QUOTED}\r\nCc: larry@fabrikan.com, victor@fabrikam.com`;
    expect(await idsOf("mike@fabrikam.com", `See below.\r\n\r\n${typo}`)).not.toContain(
      "email.thread.lookalike_reply",
    );
  });
});
