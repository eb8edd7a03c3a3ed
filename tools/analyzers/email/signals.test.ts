import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defaultOrganization } from "../../../core/organization.ts";
import { analyzeRaw } from "./analyze-raw.ts";
import { parseEmail } from "./parse.ts";
import { analyzeEmail, type EmailContext } from "./signals.ts";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

async function signalsOf(name: string, extra: Partial<EmailContext> = {}) {
  const facts = await parseEmail(fixture(name));
  return analyzeEmail({
    facts,
    messageEvidenceId: "ev-msg",
    internalDomains: defaultOrganization.internalDomains,
    protectedDomains: defaultOrganization.protectedDomains,
    simulationSenderDomains: defaultOrganization.simulationSenderDomains,
    intel: [],
    senderHistory: null,
    ...extra,
  });
}

describe("parseEmail", () => {
  it("reads authentication results, links with anchor text, and the sender", async () => {
    const facts = await parseEmail(fixture("credential-phish.eml"));
    expect(facts.from).toEqual({
      address: "no-reply@micros0ft-support.com",
      name: "Microsoft 365",
      domain: "micros0ft-support.com",
    });
    expect(facts.auth).toEqual({ spf: "fail", dkim: "none", dmarc: "fail", compauth: null });
    expect(facts.links).toContainEqual({
      href: "https://micros0ft-support.com/login?u=dana",
      text: "https://portal.office.com/verify",
      domain: "micros0ft-support.com",
    });
  });

  it("bounds the work on an oversized message and says so", async () => {
    const huge = `${fixture("newsletter.eml")}${"A".repeat(5_100_000)}`;
    const facts = await parseEmail(huge);
    expect(facts.truncated[0]).toMatch(/cut to/);
  });
});

describe("analyzeEmail", () => {
  it("flags the credential phish on sender, authentication, link and language, citing the message", async () => {
    const ids = (await signalsOf("credential-phish.eml")).map((s) => s.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        "email.auth.dmarc_fail",
        "email.sender.lookalike_domain",
        "email.sender.display_name_brand",
        "email.url.anchor_mismatch",
        "email.language.urgency",
        "email.language.credentials",
      ]),
    );
    for (const s of await signalsOf("credential-phish.eml")) expect(s.evidenceIds).toEqual(["ev-msg"]);
  });

  it("reads the newsletter as authenticated bulk mail from an established sender", async () => {
    const signals = await signalsOf("newsletter.eml", {
      senderHistory: { messages: 14, days: 12, windowDays: 60, evidenceId: "ev-hist" },
    });
    const ids = signals.map((s) => s.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        "email.auth.aligned_pass",
        "email.bulk.list_unsubscribe",
        "email.sender.established",
      ]),
    );
    expect(signals.reduce((sum, s) => sum + s.weight, 0)).toBeLessThan(-2);
  });

  it("counts intel verdicts with their own evidence", async () => {
    const signals = await signalsOf("newsletter.eml", {
      intel: [
        {
          evidenceId: "ev-intel",
          verdict: {
            observable: { type: "url", value: "https://x.test/" },
            verdict: "malicious",
            sources: [],
            tags: ["phishing"],
          },
        },
      ],
    });
    expect(signals.find((s) => s.id === "email.intel.malicious_url")).toMatchObject({
      weight: 3,
      evidenceIds: ["ev-intel"],
    });
  });
});

describe("attachments and sender headers", () => {
  const withAttachment = (filename: string, content: Buffer, extraHeaders = "") =>
    [
      "From: Billing <billing@vendor.test>",
      extraHeaders,
      "Subject: files",
      'Content-Type: multipart/mixed; boundary="m"',
      "",
      "--m",
      "Content-Type: text/plain",
      "",
      "see attached",
      "--m",
      `Content-Type: application/octet-stream; name="${filename}"`,
      `Content-Disposition: attachment; filename="${filename}"`,
      "Content-Transfer-Encoding: base64",
      "",
      content.toString("base64"),
      "--m--",
      "",
    ]
      .filter((l, i) => i !== 1 || l)
      .join("\r\n");
  const analyze = async (raw: string) => (await analyzeRaw(raw)).map((s) => s.id);

  it("flags a password-protected zip", async () => {
    const zip = Buffer.concat([
      Buffer.from("PK\u0003\u0004\u0014\u0000\u0001\u0000", "latin1"),
      Buffer.alloc(40),
    ]);
    expect(await analyze(withAttachment("invoice.zip", zip))).toContain("email.attachment.encrypted_archive");
  });

  it("flags a name that lies about the content", async () => {
    const pe = Buffer.concat([Buffer.from("MZ", "latin1"), Buffer.alloc(60)]);
    const ids = await analyze(withAttachment("statement.pdf", pe));
    expect(ids).toEqual(
      expect.arrayContaining(["email.attachment.type_mismatch", "email.attachment.executable"]),
    );
  });

  it("flags a Sender header from another domain", async () => {
    expect(await analyze(withAttachment("a.txt", Buffer.from("hi"), "Sender: bulk@other.test"))).toContain(
      "email.sender.sender_header_mismatch",
    );
  });
});

describe("executive impersonation", () => {
  it("flags a protected person's name on mail from outside, not from inside", async () => {
    const mail = (from: string) =>
      `From: "Dana Lee (CEO)" <${from}>\r\nSubject: quick favour\r\n\r\nAre you at your desk? I need gift cards today.\r\n`;
    const ids = async (from: string) =>
      analyzeEmail({
        facts: await parseEmail(mail(from)),
        messageEvidenceId: "ev",
        internalDomains: ["northwindtraders.com"],
        protectedDomains: [],
        simulationSenderDomains: [],
        protectedPeople: ["Dana Lee"],
        intel: [],
        senderHistory: null,
      }).map((s) => s.id);
    expect(await ids("dana.lee.ceo@gmail.com")).toEqual(
      expect.arrayContaining(["email.sender.impersonates_person", "email.language.gift_cards"]),
    );
    expect(await ids("dana.lee@northwindtraders.com")).not.toContain("email.sender.impersonates_person");
  });
});
