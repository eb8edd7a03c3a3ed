/**
 * Reported-email scenarios: four kinds of attack and four look-alikes that users report just as often.
 * Malicious and benign share the alert type, title pattern and severity; only what the investigation finds
 * in the message, the gateway, the proxy and intel tells them apart.
 */
import { DAY, DOMAIN, HOUR, MINUTE, type World } from "../world.ts";
import type { LabWriter } from "../writer.ts";
import { deliver, pastDeliveries, reportAlert, sha256, type MessageSpec } from "./mail.ts";

const upns = (world: World) => world.people.map((p) => p.user.userPrincipalName);
const alertTime = (w: LabWriter) => w.base + w.rng.int(6, 13 * 24) * HOUR + w.rng.int(0, 59) * MINUTE;

const PHISH_KITS = [
  {
    domain: "micros0ft-support.com",
    name: "Microsoft 365",
    subject: "Action required: verify your account within 24 hours",
    shown: "https://portal.office.com/verify",
    path: "/login/o365",
  },
  {
    domain: "office365-verify.net",
    name: "Microsoft Office 365",
    subject: "Your mailbox storage is full",
    shown: "https://outlook.office.com/mail/settings",
    path: "/owa/login",
  },
  {
    domain: "northwindtraders-sso.com",
    name: "IT Helpdesk",
    subject: "Password expiry notice: confirm your credentials",
    shown: "https://sso.northwindtraders.com/",
    path: "/sso/login",
  },
  {
    domain: "docusign-secure-mail.com",
    name: "DocuSign",
    subject: "Please review and sign: Q4 agreement",
    shown: "https://www.docusign.com/review",
    path: "/signin/document",
  },
  {
    domain: "rnicrosoft-online.com",
    name: "Microsoft Teams",
    subject: "You have 3 unread messages in Teams",
    shown: "https://teams.microsoft.com/",
    path: "/account/verify",
  },
  {
    domain: "sharepoint-docs-share.com",
    name: "SharePoint Online",
    subject: "A file was shared with you: Payroll_Update.xlsx",
    shown: "https://northwind.sharepoint.com/",
    path: "/secure/login",
  },
];

/** Credential phishing delivered to many, reported by a few, clicked by some. */
function credentialPhish(w: LabWriter, world: World): void {
  const rng = w.rng;
  for (const kit of PHISH_KITS) {
    const at = alertTime(w);
    const url = `https://${kit.domain}${kit.path}?id=${rng.hex(12)}`;
    const ip = rng.publicIp([45, 185, 193]);
    const spec: MessageSpec = {
      from: { name: kit.name, address: `no-reply@${kit.domain}` },
      subject: kit.subject,
      messageId: `<${rng.hex(20)}@${kit.domain}>`,
      returnPath: `bounce@${kit.domain}`,
      receivedFrom: { host: `mail.${kit.domain}`, ip },
      auth: { spf: rng.pick(["fail", "softfail"]), dkim: "none", dmarc: "fail" },
      text: `Dear user,\n\nWe detected unusual activity. Verify your account within 24 hours or it will be suspended.\n\nVerify now: ${url}\n\nThank you,\n${kit.name} Team`,
      html: `<p>Dear user,</p><p>We detected unusual activity. <b>Verify your account within 24 hours</b> or it will be suspended.</p><p><a href="${url}">${kit.shown}</a></p><p>Thank you,<br>${kit.name} Team</p>`,
    };
    const recipients = rng.sample(upns(world), rng.int(8, 30));
    const delivery = deliver(w, spec, recipients, at);
    w.intelVerdict({
      observable: { type: "domain", value: kit.domain },
      verdict: "malicious",
      score: 95,
      sources: ["lab"],
      tags: ["phishing", "newly_registered"],
      firstSeen: w.iso(at - 3 * DAY),
    });
    w.intelVerdict({
      observable: { type: "url", value: url },
      verdict: "malicious",
      score: 98,
      sources: ["lab"],
      tags: ["phishing"],
    });
    for (const clicker of rng.sample(recipients, rng.int(1, 3))) {
      world.tainted.add(clicker);
      w.event("proxy", at + rng.int(5, 90) * MINUTE, {
        "user.name": clicker,
        "url.domain": kit.domain,
        "url.full": url,
        "source.ip": "10.10.1.50",
        "http.response.status_code": 200,
        "event.action": "allowed",
      });
    }
    for (const reporter of rng.sample(recipients, rng.int(2, 4))) {
      reportAlert(w, delivery, reporter, rng.int(3, 180), {
        disposition: "malicious",
        category: "credential_phishing",
        scenario: "credential_phish_campaign",
      });
    }
  }
}

const BEC_DOMAINS = [
  { domain: "fabrikarn.com", partner: "Fabrikam" },
  { domain: "fabrikam-invoices.com", partner: "Fabrikam" },
  { domain: "contoso-billing.co", partner: "Contoso" },
  { domain: "c0ntoso.com", partner: "Contoso" },
];

/** Vendor impersonation asking finance to change bank details. */
function bec(w: LabWriter, world: World): void {
  const rng = w.rng;
  for (let i = 0; i < 9; i++) {
    const vendor = rng.pick(BEC_DOMAINS);
    const at = alertTime(w);
    const sender = rng.pick(["accounts", "ar", "billing", "finance"]);
    const contact = rng.pick(["Laura Bennett", "Mark Huang", "Julia Stone"]);
    const spec: MessageSpec = {
      from: { name: `${contact} | ${vendor.partner}`, address: `${sender}@${vendor.domain}` },
      replyTo: `${contact.split(" ")[0]?.toLowerCase() ?? "ap"}.${vendor.partner.toLowerCase()}${rng.int(1, 99)}@${rng.pick(["gmail.com", "outlook.com", "proton.me"])}`,
      subject: rng.pick([
        "Updated bank details for upcoming payments",
        "Urgent: change of remittance account",
        "Re: outstanding invoice - new account",
      ]),
      messageId: `<${rng.hex(20)}@${vendor.domain}>`,
      returnPath: `${sender}@${vendor.domain}`,
      receivedFrom: { host: `smtp.${vendor.domain}`, ip: rng.publicIp([102, 154, 197]) },
      auth: { spf: "pass", dkim: "none", dmarc: rng.pick(["none", "fail"]) },
      text: `Hello,\n\nPlease note we have updated our bank details. All future payments should go to our new account:\nIBAN GB${rng.int(10, 99)} BARC ${rng.int(1000, 9999)} ${rng.int(1000, 9999)} ${rng.int(10, 99)}\n\nPlease update your records immediately and confirm by reply, as the open invoice is due this week.\n\nRegards,\n${contact}\nAccounts Receivable, ${vendor.partner}`,
    };
    const recipients = rng.sample(
      world.finance.map((p) => p.user.userPrincipalName),
      rng.int(1, 2),
    );
    const delivery = deliver(w, spec, recipients, at);
    w.intelVerdict({
      observable: { type: "domain", value: vendor.domain },
      verdict: "suspicious",
      score: 60,
      sources: ["lab"],
      tags: ["newly_registered"],
      firstSeen: w.iso(at - 5 * DAY),
    });
    const reporter = recipients[0];
    if (reporter)
      reportAlert(w, delivery, reporter, rng.int(10, 240), {
        disposition: "malicious",
        category: "bec",
        scenario: "bec_vendor_bank_change",
      });
  }
}

/** A macro document from an unknown sender. */
function macroAttachment(w: LabWriter, world: World): void {
  const rng = w.rng;
  for (let i = 0; i < 8; i++) {
    const domain = rng.pick([
      "globex-trading.biz",
      "initech-supply.net",
      "umbrella-logistics.info",
      "acme-parts.top",
    ]);
    const at = alertTime(w);
    const invoice = `Invoice_${rng.int(1000, 9999)}.docm`;
    const content = Buffer.concat([
      Buffer.from("PK\u0003\u0004"),
      Buffer.from(
        `[Content_Types].xml word/document.xml word/vbaProject.bin ${rng.hex(64)} AutoOpen Shell powershell`,
      ),
    ]);
    const spec: MessageSpec = {
      from: { name: "Accounts Payable", address: `ap@${domain}` },
      subject: rng.pick([
        "Invoice attached",
        "Overdue payment - invoice attached",
        "Purchase order confirmation",
      ]),
      messageId: `<${rng.hex(20)}@${domain}>`,
      returnPath: `ap@${domain}`,
      receivedFrom: { host: `mx.${domain}`, ip: rng.publicIp([91, 176, 185]) },
      auth: { spf: "softfail", dkim: "none", dmarc: "none" },
      text: "Hello,\n\nPlease see the attached invoice. If the document does not display correctly, click Enable Content.\n\nBest regards,\nAccounts Payable",
      attachments: [
        { filename: invoice, contentType: "application/vnd.ms-word.document.macroEnabled.12", content },
      ],
    };
    const recipients = rng.sample(upns(world), rng.int(1, 6));
    const delivery = deliver(w, spec, recipients, at);
    w.intelVerdict({
      observable: { type: "file_hash", value: sha256(content) },
      verdict: "malicious",
      score: 90,
      sources: ["lab"],
      tags: ["malware", "macro"],
    });
    for (const reporter of rng.sample(recipients, rng.int(1, 2))) {
      reportAlert(w, delivery, reporter, rng.int(5, 120), {
        disposition: "malicious",
        category: "malware_delivery",
        scenario: "malicious_macro_attachment",
      });
    }
  }
}

/** Fake renewal with a phone number to call. */
function callback(w: LabWriter, world: World): void {
  const rng = w.rng;
  for (let i = 0; i < 8; i++) {
    const brand = rng.pick(["Geek Squad", "Norton", "PayPal", "McAfee"]);
    const at = alertTime(w);
    const amount = rng.pick(["$499.99", "$349.00", "$599.95", "$289.90"]);
    const phone = `+1 (8${rng.int(0, 8)}${rng.int(0, 9)}) ${rng.int(200, 999)}-${rng.int(1000, 9999)}`;
    const address = `${brand.toLowerCase().replace(/\s/g, "")}.billing${rng.int(10, 999)}@gmail.com`;
    const spec: MessageSpec = {
      from: { name: `${brand} Billing`, address },
      subject: `Your ${brand} subscription has been renewed`,
      messageId: `<CA${rng.hex(24)}@mail.gmail.com>`,
      returnPath: address,
      receivedFrom: { host: "mail-sor-f41.google.com", ip: "209.85.220.41" },
      auth: { spf: "pass", dkim: "pass", dmarc: "pass" },
      text: `Dear customer,\n\nYour ${brand} Total Protection subscription was renewed and ${amount} has been charged to your account. Order #${rng.int(100000, 999999)}.\n\nIf you did not authorize this renewal, call our billing team at ${phone} within 24 hours to cancel and get a refund.\n\n${brand} Billing Department`,
    };
    const recipients = rng.sample(upns(world), rng.int(1, 3));
    const delivery = deliver(w, spec, recipients, at);
    const reporter = recipients[0];
    if (reporter)
      reportAlert(w, delivery, reporter, rng.int(5, 300), {
        disposition: "malicious",
        category: "callback_phishing",
        scenario: "callback_phishing",
      });
  }
}

const NEWSLETTERS = [
  { from: "news@news.industryweekly.com", name: "Industry Weekly", esp: "em.sendgrid-mail.net" },
  { from: "digest@mail.techdigest.io", name: "Tech Digest", esp: "bounce.mailchimp-esp.com" },
  { from: "events@updates.contoso-events.com", name: "Contoso Events", esp: "mta.marketo-mail.com" },
  { from: "offers@deals.officesupplyhub.com", name: "Office Supply Hub", esp: "bounces.esp-relay.net" },
  { from: "hello@newsletter.freightnews.org", name: "Freight News", esp: "em.sendgrid-mail.net" },
  { from: "team@mail.saasinsider.co", name: "SaaS Insider", esp: "bounce.mailchimp-esp.com" },
];

/** Marketing mail users report as phishing: authenticated, unsubscribable, long-established senders. */
function newsletters(w: LabWriter, world: World): void {
  const rng = w.rng;
  for (const n of NEWSLETTERS) {
    const domain = n.from.split("@")[1] ?? "";
    const ip = rng.publicIp([64, 66, 149, 167]);
    const past = Array.from(
      { length: rng.int(12, 18) },
      (_, k) => w.base - (k + 1) * 2 * DAY - rng.int(0, 12) * HOUR,
    );
    pastDeliveries(w, n.from, [`${n.name}: this week`, `${n.name} digest`], upns(world), past, ip);
    w.intelVerdict({
      observable: { type: "domain", value: domain },
      verdict: rng.pick(["harmless", "unknown"]),
      sources: ["lab"],
      tags: ["marketing"],
    });
    for (let issue = 0; issue < 2; issue++) {
      const at = alertTime(w);
      const slug = rng.hex(8);
      const spec: MessageSpec = {
        from: { name: n.name, address: n.from },
        subject: rng.pick([
          `${n.name}: this week's top stories`,
          `Last chance: ${n.name} early-bird pricing`,
          `${n.name} | Your November digest`,
        ]),
        messageId: `<${rng.hex(20)}@${domain}>`,
        returnPath: `bounces+${rng.hex(8)}@${n.esp}`,
        receivedFrom: { host: `o1.${n.esp}`, ip },
        auth: { spf: "pass", dkim: "pass", dmarc: "pass" },
        headers: {
          "List-Unsubscribe": `<https://${domain}/unsubscribe?u=${slug}>`,
          "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
          Precedence: "bulk",
        },
        text: `${n.name}\n\nTop stories this week and our upcoming webinar.\nRead more: https://${domain}/articles/${slug}\n\nUnsubscribe: https://${domain}/unsubscribe?u=${slug}`,
        html: `<h2>${n.name}</h2><p>Top stories this week and our upcoming webinar.</p><p><a href="https://${domain}/articles/${slug}">Read more</a></p><p><a href="https://${domain}/webinar/${slug}">Register for the webinar</a></p><p style="font-size:small"><a href="https://${domain}/unsubscribe?u=${slug}">Unsubscribe</a></p>`,
      };
      const recipients = rng.sample(upns(world), rng.int(10, 40));
      const delivery = deliver(w, spec, recipients, at);
      for (const reporter of rng.sample(recipients, rng.int(2, 3))) {
        reportAlert(w, delivery, reporter, rng.int(10, 600), {
          disposition: "benign",
          category: "graymail",
          scenario: "marketing_newsletter",
        });
      }
    }
  }
}

/** The sanctioned phishing simulation: looks phishy on purpose, comes from the vendor. */
function simulation(w: LabWriter, world: World): void {
  const rng = w.rng;
  const templates = [
    { name: "IT Service Desk", subject: "Your mailbox is almost full - verify your account" },
    { name: "HR Department", subject: "Action required: review the updated holiday policy" },
  ];
  for (const t of templates) {
    const at = alertTime(w);
    const campaign = `NW-2026-${rng.int(10, 99)}`;
    const token = rng.hex(16);
    const url = `https://phishsim-training.com/c/${token}/login`;
    const spec: MessageSpec = {
      from: { name: t.name, address: `notifications@phishsim-training.com` },
      subject: t.subject,
      messageId: `<${rng.hex(20)}@phishsim-training.com>`,
      returnPath: `bounce@phishsim-training.com`,
      receivedFrom: { host: "out.phishsim-training.com", ip: "192.0.2.200" },
      auth: { spf: "pass", dkim: "pass", dmarc: "pass" },
      headers: { "X-PhishSim-Campaign": campaign },
      text: `Hello,\n\nPlease verify your account within 24 hours to keep access.\n${url}\n\n${t.name}`,
      html: `<p>Hello,</p><p>Please verify your account within 24 hours to keep access.</p><p><a href="${url}">Verify now</a></p><p>${t.name}</p>`,
    };
    const recipients = rng.sample(upns(world), 40);
    const delivery = deliver(w, spec, recipients, at);
    w.intelVerdict({
      observable: { type: "domain", value: "phishsim-training.com" },
      verdict: "harmless",
      sources: ["lab"],
      tags: ["phishing_simulation"],
    });
    for (const reporter of rng.sample(recipients, rng.int(9, 11))) {
      reportAlert(w, delivery, reporter, rng.int(2, 240), {
        disposition: "benign",
        category: "phishing_simulation",
        scenario: "internal_phishing_simulation",
      });
    }
  }
}

/** The real IT department's password-expiry notice. */
function itNotice(w: LabWriter, world: World): void {
  const rng = w.rng;
  for (let n = 0; n < 2; n++) {
    const at = alertTime(w);
    const spec: MessageSpec = {
      from: { name: "Northwind IT Support", address: `it-support@${DOMAIN}` },
      subject: "Your password expires in 5 days",
      messageId: `<${rng.hex(20)}@${DOMAIN}>`,
      returnPath: `it-support@${DOMAIN}`,
      receivedFrom: { host: `exch01.${DOMAIN}`, ip: "10.10.0.40" },
      auth: { spf: "pass", dkim: "pass", dmarc: "pass" },
      text: `Hi,\n\nYour Northwind password expires in 5 days. Change it any time at https://sso.${DOMAIN}/password/change or press Ctrl+Alt+Del on your laptop.\n\nIT will never ask for your password by email.\n\nNorthwind IT Support`,
      html: `<p>Hi,</p><p>Your Northwind password expires in 5 days. Change it any time at <a href="https://sso.${DOMAIN}/password/change">the self-service portal</a> or press Ctrl+Alt+Del on your laptop.</p><p>IT will never ask for your password by email.</p><p>Northwind IT Support</p>`,
    };
    const recipients = rng.sample(upns(world), rng.int(20, 40));
    const delivery = deliver(w, spec, recipients, at);
    for (const reporter of rng.sample(recipients, rng.int(6, 7))) {
      reportAlert(w, delivery, reporter, rng.int(5, 300), {
        disposition: "benign",
        category: "benign_notification",
        scenario: "it_password_notice",
      });
    }
  }
}

/** A genuine invoice from a real partner. */
function vendorInvoice(w: LabWriter, world: World): void {
  const rng = w.rng;
  const partners = [
    { from: "billing@fabrikam.com", name: "Fabrikam Billing", ip: "203.0.113.25" },
    { from: "accounts@contoso.com", name: "Contoso Accounts", ip: "203.0.113.77" },
  ];
  const finance = world.finance.map((p) => p.user.userPrincipalName);
  for (const p of partners) {
    const domain = p.from.split("@")[1] ?? "";
    pastDeliveries(
      w,
      p.from,
      ["Invoice", "Statement of account"],
      finance,
      Array.from({ length: 8 }, (_, k) => w.base - (k + 1) * 4 * DAY),
      p.ip,
    );
    w.intelVerdict({
      observable: { type: "domain", value: domain },
      verdict: "harmless",
      sources: ["lab"],
      tags: ["partner"],
    });
    for (let i = 0; i < 6; i++) {
      const at = alertTime(w);
      const number = `INV-2026-${rng.int(1000, 9999)}`;
      const pdf = Buffer.from(
        `%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% ${number} ${rng.hex(32)}\n%%EOF\n`,
      );
      const spec: MessageSpec = {
        from: { name: p.name, address: p.from },
        subject: `Invoice ${number} from ${p.name.split(" ")[0] ?? "partner"}`,
        messageId: `<${rng.hex(20)}@${domain}>`,
        returnPath: p.from,
        receivedFrom: { host: `mail.${domain}`, ip: p.ip },
        auth: { spf: "pass", dkim: "pass", dmarc: "pass" },
        text: `Hello,\n\nPlease find attached invoice ${number} for October services. Payment terms are net 30 as agreed.\n\nKind regards,\n${p.name}`,
        attachments: [{ filename: `${number}.pdf`, contentType: "application/pdf", content: pdf }],
      };
      const recipients = rng.sample(finance, rng.int(1, 3));
      const delivery = deliver(w, spec, recipients, at);
      const reporter = recipients[0];
      if (reporter)
        reportAlert(w, delivery, reporter, rng.int(10, 400), {
          disposition: "benign",
          category: "benign_notification",
          scenario: "vendor_invoice",
        });
    }
  }
}

export function emailScenarios(w: LabWriter, world: World): void {
  credentialPhish(w, world);
  bec(w, world);
  macroAttachment(w, world);
  callback(w, world);
  newsletters(w, world);
  simulation(w, world);
  itNotice(w, world);
  vendorInvoice(w, world);
}
