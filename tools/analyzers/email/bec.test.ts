import { describe, expect, it } from "vitest";
import { analyzeRaw } from "./analyze-raw.ts";
import type { EmailContext } from "./signals.ts";

const ORG = {
  internalDomains: ["northwindtraders.com"],
  protectedDomains: ["northwindtraders.com", "tailspinlogistics.com", "whitmorekane.com"],
  protectedPeople: ["Margaret Chen", "David Okafor"],
};
const PASS =
  "Authentication-Results: mx.northwindtraders.com; spf=pass smtp.mailfrom=x; dkim=pass header.d=x; dmarc=pass header.from=x";

function mail(from: string, subject: string, body: string, headers: string[] = [PASS]): string {
  return [
    ...headers,
    `From: ${from}`,
    "To: ap@northwindtraders.com",
    `Subject: ${subject}`,
    "",
    body,
    "",
  ].join("\r\n");
}

const findings = (raw: string, extra: Partial<EmailContext> = {}) =>
  analyzeRaw(raw, { messageEvidenceId: "ev-msg", ...ORG, ...extra });
const ids = async (raw: string, extra: Partial<EmailContext> = {}) =>
  (await findings(raw, extra)).map((s) => s.id);

const BANK_CHANGE =
  "We have moved banks. Please update our remittance details and send future payments to the new account below.";

describe("payment and payroll change requests", () => {
  it("flags a request to change bank details, and decides it when the sender is a look-alike", async () => {
    const signals = await findings(mail("AR <ar@tailspin-logistics.com>", "Banking update", BANK_CHANGE));
    expect(signals.find((s) => s.id === "email.language.payment_change")).toMatchObject({
      weight: 1.5,
      evidenceIds: ["ev-msg"],
      attack: ["T1566", "T1657"],
      category: "bec",
    });
    expect(signals.find((s) => s.id === "email.bec.deceptive_request")).toMatchObject({ weight: 2 });
    const total = signals.reduce((sum, s) => sum + s.weight, 0);
    expect(total).toBeGreaterThan(4);
  });

  it("does not flag mentions of bank details, a confirmation that nothing changed, or a policy reminder", async () => {
    for (const body of [
      "Invoice 4471 is attached. Payment can be made to the account number on file; wire transfer is fine.",
      "I confirm our bank details have not changed. We will never ask you to change bank details by email.",
      "Any request to change a supplier's bank details must be verified by calling the supplier.",
    ])
      expect(await ids(mail("Ana <ana@tailspinlogistics.com>", "Bank details", body))).not.toContain(
        "email.language.payment_change",
      );
  });

  it("flags a direct-deposit change from outside, decisively from free mail, never from inside", async () => {
    const body = "I switched banks, please change my direct deposit to the new account before next payroll.";
    const outside = await ids(mail("Jordan Blake <jordan.blake.nwt@outlook.com>", "Direct deposit", body));
    expect(outside).toEqual(
      expect.arrayContaining(["email.language.payroll_change", "email.bec.deceptive_request"]),
    );
    expect(
      await ids(mail("Jordan Blake <jordan.blake@northwindtraders.com>", "Direct deposit", body)),
    ).not.toContain("email.language.payroll_change");
  });
});

describe("gift cards", () => {
  const ask =
    "Are you at your desk? I need you to buy six gift cards for clients today. Scratch off the back and send me pictures of the codes.";

  it("flags the CEO's name from free mail asking for gift card codes", async () => {
    const found = await ids(mail('"Margaret Chen" <m.chen.office@gmail.com>', "Quick favor", ask));
    expect(found).toEqual(
      expect.arrayContaining([
        "email.sender.impersonates_person",
        "email.language.gift_cards",
        "email.bec.deceptive_request",
      ]),
    );
  });

  it("matches the person however the display name is dressed, and not a different person", async () => {
    expect(await ids(mail('"Chen, Margaret (CEO)" <mc@gmail.com>', "hi", "hello"))).toContain(
      "email.sender.impersonates_person",
    );
    expect(await ids(mail('"Margaret Chenoweth" <mc@gmail.com>', "hi", "hello"))).not.toContain(
      "email.sender.impersonates_person",
    );
  });

  it("does not flag our executive's real envelope relayed by a signing service", async () => {
    const relayed = mail(
      '"Margaret Chen via DocuSign" <dse@docusign.net>',
      "Please DocuSign",
      "Please sign.",
    );
    expect(await ids(relayed)).not.toContain("email.sender.impersonates_person");
    const forged = mail(
      '"Margaret Chen via DocuSign" <dse@docusign.net>',
      "Please DocuSign",
      "Please sign.",
      [],
    );
    expect(await ids(forged)).toContain("email.sender.impersonates_person");
  });

  it("does not flag a retailer selling gift cards", async () => {
    const body =
      "Stuck on what to give? Our gift cards come in any amount and never expire. Buy them online.";
    expect(await ids(mail("Lakeside <news@lakesidecoffee.com>", "Holiday gift cards", body))).not.toContain(
      "email.language.gift_cards",
    );
  });
});

describe("wire requests", () => {
  const body = "Invoice HA-2291 is overdue. Please wire the payment today to avoid collections. Urgent.";

  it("counts pressure to pay from outside, and decides it when replies go to free mail", async () => {
    const headers = [PASS, "Reply-To: harbourline.payments@gmail.com"];
    const signals = await findings(
      mail("Finance <finance@harbourline-advisory.com>", "Overdue", body, headers),
    );
    expect(signals.find((s) => s.id === "email.language.wire_request")).toMatchObject({ weight: 0.8 });
    expect(signals.map((s) => s.id)).toContain("email.bec.deceptive_request");
  });

  it("weighs a first-time sender's money request less than a deceptive one", async () => {
    const found = await findings(mail("Finance <finance@harbourline-advisory.com>", "Overdue", body), {
      senderHistory: { messages: 0, days: 0, windowDays: 60, evidenceId: "ev-history" },
    });
    expect(found.find((s) => s.id === "email.bec.first_contact_request")).toMatchObject({
      weight: 1,
      evidenceIds: ["ev-msg", "ev-history"],
    });
  });

  it("does not flag our own finance team asking to release a payment", async () => {
    const found = await ids(mail("David Okafor <david.okafor@northwindtraders.com>", "Payment run", body));
    expect(found).not.toContain("email.language.wire_request");
    expect(found).not.toContain("email.sender.impersonates_person");
  });
});

describe("callback phishing", () => {
  const scam =
    "Your Norton 360 subscription has been renewed and your account has been charged $499.99. If you did not authorize this charge, call +1 (808) 555-0147.";

  it("flags a claimed charge with a number to call, naming the brand", async () => {
    const found = await findings(mail("Billing <billing.center2041@gmail.com>", "Invoice", scam));
    expect(found.find((s) => s.id === "email.language.callback")?.title).toMatch(/Norton/);
  });

  it("does not flag an order confirmation with a support number", async () => {
    const body =
      "Thanks for your order #CO-771204. Order total $499.00. Questions about your order? Call 1-800-555-0199.";
    expect(
      await ids(mail("Contoso Office <orders@contosooffice.com>", "Order confirmed", body)),
    ).not.toContain("email.language.callback");
  });
});

describe("sender identity exemptions", () => {
  it("does not call a brand's own other domain a look-alike, nor Reply-To its known sender a mismatch", async () => {
    const raw = mail(
      '"Robert Kane via DocuSign" <dse@docusign.net>',
      "Please DocuSign: agreement",
      "Robert Kane sent you a document to review and sign.",
      [PASS, "Reply-To: Robert Kane <r.kane@whitmorekane.com>"],
    );
    const found = await ids(raw, { protectedDomains: [...ORG.protectedDomains, "docusign.com"] });
    expect(found).not.toContain("email.sender.lookalike_domain");
    expect(found).not.toContain("email.sender.reply_to_mismatch");
  });

  it("still flags Reply-To an unknown outside domain", async () => {
    const raw = mail("Billing <billing@vendor.test>", "Invoice", "See attached.", [
      PASS,
      "Reply-To: x@elsewhere.test",
    ]);
    expect(await ids(raw)).toContain("email.sender.reply_to_mismatch");
  });
});

describe("callback phishing without a dispute prompt", () => {
  it("flags a renewal claimed in a brand's name the sender does not own", async () => {
    const body =
      "Your Norton Ultimate Plus plan is now active. Total Paid: $299.00. For any questions contact Norton Billing at +1 856-342-1241.";
    expect(
      await ids(mail("Billing <customer-service@markelliot.test>", "Order confirmation", body)),
    ).toContain("email.language.callback");
  });
});

describe("payment change, precisely", () => {
  it("does not read a SaaS card update as a bank change", async () => {
    const body =
      "Your card has expired. Please update your payment details to avoid an interruption of service.";
    expect(
      await ids(mail("Billing <billing@saas.test>", "Update your payment information", body)),
    ).not.toContain("email.language.payment_change");
  });
});
