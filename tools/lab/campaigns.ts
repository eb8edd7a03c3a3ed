/**
 * Lab scenarios for campaign grouping: phishing campaigns reported by many people across mailboxes, with
 * the variants real campaigns carry (the recipient, a greeting with their name, a tracking token, a reworded
 * sentence, a rotating sender with one payload), and legitimate bulk mail built to look alike (one
 * newsletter's issues, one vendor's invoices with different amounts, replies in one thread). Each message
 * carries its ground truth: the group it belongs to, and whether that group is an attack. Seeded.
 */
import { Rng } from "./random.ts";

export interface CampaignLabMessage {
  raw: string;
  reporter: string;
  /** Ground truth: messages with the same group are one campaign (or one legitimate mailing). */
  group: string;
  attack: boolean;
}

const DOMAIN = "northwindtraders.com";
const PEOPLE = [
  "jane.doe",
  "omar.haddad",
  "li.wei",
  "maria.garcia",
  "dana.okafor",
  "sam.taylor",
  "priya.nair",
  "tom.becker",
  "anna.kowalska",
  "yuki.tanaka",
  "lucas.martin",
  "fatima.ali",
  "noah.smith",
  "eva.novak",
  "ken.adams",
  "rosa.silva",
];

type Rand = () => number;
const pick = <T>(rand: Rand, list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
const token = (rand: Rand, n = 16) =>
  Array.from({ length: n }, () => "abcdef0123456789"[Math.floor(rand() * 16)]).join("");
const firstName = (p: string) => {
  const n = p.split(".")[0] ?? p;
  return n.charAt(0).toUpperCase() + n.slice(1);
};

interface Envelope {
  from: string;
  fromName: string;
  to: string;
  subject: string;
  messageId: string;
  ip: string;
  date: string;
  body: string;
  html?: string;
  extraHeaders?: string[];
}

function message(e: Envelope): string {
  const domain = e.from.split("@")[1] ?? "example.com";
  const headers = [
    `Received: from mail.${domain} (mail.${domain} [${e.ip}]) by mx.${DOMAIN} with ESMTPS; ${e.date}`,
    `Authentication-Results: mx.${DOMAIN}; spf=pass smtp.mailfrom=${domain}; dkim=pass header.d=${domain}; dmarc=pass header.from=${domain}`,
    `DKIM-Signature: v=1; a=rsa-sha256; d=${domain}; s=s1; h=from:to:subject; bh=x; b=y`,
    `Return-Path: <bounce@${domain}>`,
    `From: ${e.fromName} <${e.from}>`,
    `To: <${e.to}>`,
    `Subject: ${e.subject}`,
    `Date: ${e.date}`,
    `Message-ID: ${e.messageId}`,
    ...(e.extraHeaders ?? []),
    "MIME-Version: 1.0",
  ];
  if (!e.html)
    return `${headers.join("\r\n")}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${e.body}\r\n`;
  const b = "b1_campaign_lab";
  return `${headers.join("\r\n")}\r\nContent-Type: multipart/alternative; boundary="${b}"\r\n\r\n--${b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${e.body}\r\n--${b}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${e.html}\r\n--${b}--\r\n`;
}

function date(rand: Rand, day: number): string {
  const d = new Date(Date.UTC(2026, 10, day, 8 + Math.floor(rand() * 9), Math.floor(rand() * 60)));
  return d.toUTCString().replace("GMT", "+0000");
}

function recipients(rand: Rand, n: number): string[] {
  const shuffled = [...PEOPLE].sort(() => rand() - 0.5);
  return shuffled.slice(0, n).map((p) => `${p}@${DOMAIN}`);
}

/** The same message fanned out by the gateway: one Message-ID in every mailbox. */
function mailboxFull(rand: Rand): CampaignLabMessage[] {
  const id = `<${token(rand, 12)}@mailer.outlook-quota-alerts.com>`;
  const day = date(rand, 3);
  return recipients(rand, 12).map((to) => ({
    raw: message({
      from: "no-reply@outlook-quota-alerts.com",
      fromName: "Mailbox Administrator",
      to,
      subject: "Your mailbox is almost full",
      messageId: id,
      ip: "185.243.115.20",
      date: day,
      body: "Your mailbox has reached 98% of its storage limit. Incoming messages will be rejected within 24 hours. Verify your account now to keep receiving mail: https://outlook-quota-alerts.com/verify/login\n\nMicrosoft 365 Team",
    }),
    reporter: to,
    group: "attack:mailbox-full",
    attack: true,
  }));
}

/** One message per recipient: their name in the greeting, a tracking token in the link. */
function payrollUpdate(rand: Rand): CampaignLabMessage[] {
  return recipients(rand, 14).map((to) => {
    const name = firstName(to.split("@")[0] ?? "");
    const greeting = pick(rand, ["Hi", "Hello", "Dear"]);
    const link = `https://payroll-northwind-hr.com/portal/confirm?uid=${token(rand)}`;
    return {
      raw: message({
        from: "hr-payroll@payroll-northwind-hr.com",
        fromName: "HR Payroll",
        to,
        subject: "Action required: confirm your direct deposit details",
        messageId: `<${token(rand, 20)}@payroll-northwind-hr.com>`,
        ip: "45.137.21.9",
        date: date(rand, 5),
        body: `${greeting} ${name},\n\nAs part of the year-end payroll review, every employee must confirm their direct deposit details before Friday. Employees who do not confirm will have their next salary payment delayed.\n\nConfirm your details here: ${link}\n\nThis request was sent to ${to}.\n\nThank you,\nHR Payroll Team`,
      }),
      reporter: to,
      group: "attack:payroll",
      attack: true,
    };
  });
}

/** Reworded copies (a sentence changed, a token in the path) from one sending infrastructure. */
function sharedDocument(rand: Rand): CampaignLabMessage[] {
  const openers = [
    "has shared a document with you on SharePoint.",
    "shared a file with you using SharePoint.",
    "has shared a document with you on SharePoint Online.",
  ];
  return recipients(rand, 10).map((to) => ({
    raw: message({
      from: `notify-${token(rand, 4)}@docs-share-portal.net`,
      fromName: "SharePoint Online",
      to,
      subject: pick(rand, [
        "Document shared with you: Q4 Bonus Allocation.xlsx",
        "Q4 Bonus Allocation.xlsx was shared with you",
      ]),
      messageId: `<${token(rand, 20)}@docs-share-portal.net>`,
      ip: "91.215.85.14",
      date: date(rand, 7),
      body: `Finance Department ${pick(rand, openers)}\n\nQ4 Bonus Allocation.xlsx\n\nThis link will work for anyone in your organization. The document contains the confidential bonus allocation for all departments for the fourth quarter and must be reviewed before the end of the week.\n\nOpen: https://docs-share-portal.net/s/${token(rand, 10)}/view\n\nMicrosoft respects your privacy. To learn more, read our Privacy Statement.`,
    }),
    reporter: to,
    group: "attack:shared-document",
    attack: true,
  }));
}

/** Rotating senders (compromised accounts) and different words, one payload URL. */
function rotatingSenders(rand: Rand): CampaignLabMessage[] {
  const senders = [
    "accounts@brightpath-logistics.com",
    "office@kesterfield-dental.org",
    "info@alpine-ridge-realty.com",
  ];
  const lines = [
    "Please find the remittance advice for your recent payment at the link below.",
    "Your payment confirmation is ready to view.",
    "We have processed the transfer; see the attached remittance.",
  ];
  return recipients(rand, 9).map((to, i) => {
    const from = senders[i % senders.length] ?? "";
    return {
      raw: message({
        from,
        fromName: "Microsoft OneDrive",
        to,
        subject: pick(rand, ["Remittance advice", "Payment confirmation", "Transfer completed"]),
        messageId: `<${token(rand, 20)}@${from.split("@")[1]}>`,
        ip: `203.0.113.${10 + i}`,
        date: date(rand, 9),
        body: `${lines[i % lines.length]}\n\nThe document was shared with you through Microsoft OneDrive and is protected. Verify your account: sign in with your email address and password to view it. Your access expires today; unverified accounts will be suspended.\n\nhttps://remit-view-secure.com/doc/login.php?view=remittance\n\nRegards`,
      }),
      reporter: to,
      group: "attack:remittance",
      attack: true,
    };
  });
}

/** One newsletter, several issues: the same template, different news. Each issue reaches several people. */
function newsletter(rand: Rand): CampaignLabMessage[] {
  const stories = [
    [
      "Contoso opens a new distribution centre in Rotterdam",
      "The 40,000 square metre site will serve customers across the Benelux region from March.",
    ],
    [
      "Quarterly results beat expectations",
      "Revenue grew 12 percent year on year, driven by strong demand for cold-chain services.",
    ],
    [
      "Meet the team: customer success in Singapore",
      "Our Singapore office now supports customers in eleven countries across Asia Pacific.",
    ],
    [
      "New sustainability targets announced",
      "Contoso commits to electric delivery vans in all European cities by 2028.",
    ],
    [
      "Holiday shipping deadlines",
      "Orders placed after December 15 may arrive after the holidays; plan your stock accordingly.",
    ],
  ];
  return stories.flatMap(([title, text], issue) => {
    const id = `<issue-${issue + 1}-${token(rand, 8)}@news.contoso.com>`;
    return recipients(rand, 3).map((to) => ({
      raw: message({
        from: "newsletter@news.contoso.com",
        fromName: "Contoso Weekly",
        to,
        subject: `Contoso Weekly #${41 + issue}: ${title}`,
        messageId: id,
        ip: "198.51.100.77",
        date: date(rand, 2 + issue * 7),
        body: `Contoso Weekly, issue ${41 + issue}\n\n${title}\n\n${text}\n\nRead more on our website: https://www.contoso.com/news/${issue + 41}\n\nYou receive this newsletter because you are a Contoso customer. Unsubscribe: https://news.contoso.com/unsubscribe?u=${token(rand)}\nContoso Ltd, 1 Harbour Road, Rotterdam`,
        extraHeaders: [`List-Unsubscribe: <https://news.contoso.com/unsubscribe?u=${token(rand)}>`],
      }),
      reporter: to,
      group: `legit:newsletter-${issue + 1}`,
      attack: false,
    }));
  });
}

/** One vendor's invoices: one template, different amounts, numbers and dates, each to one person. */
function invoices(rand: Rand): CampaignLabMessage[] {
  return Array.from({ length: 8 }, (_, i) => {
    const to = `${pick(rand, PEOPLE)}@${DOMAIN}`;
    const amount = (1000 + Math.floor(rand() * 9000) + i).toLocaleString("en-US");
    const number = 20_410 + i * 7;
    return {
      raw: message({
        from: "billing@fabrikam.com",
        fromName: "Fabrikam Billing",
        to,
        subject: `Invoice INV-${number} from Fabrikam`,
        messageId: `<inv-${number}-${token(rand, 8)}@fabrikam.com>`,
        ip: "198.51.100.40",
        date: date(rand, 1 + i * 3),
        body: `Dear customer,\n\nPlease find your invoice INV-${number} dated 11/${(i % 27) + 1}/2026 for the amount of $${amount}.00. Payment is due within 30 days to the account on file. You can view and download the invoice in the Fabrikam customer portal.\n\nThank you for your business.\nFabrikam Accounts Receivable`,
      }),
      reporter: to,
      group: `legit:invoice-${number}`,
      attack: false,
    };
  });
}

/** A conversation: each reply quotes the one before. */
function thread(rand: Rand): CampaignLabMessage[] {
  const ids: string[] = [];
  const lines = [
    "Thanks for the draft. Can we move the planning meeting for the third quarter to Thursday afternoon? I have a conflict on Wednesday with the supplier review.",
    "Thursday afternoon works for me. I will book the large meeting room and send the agenda for the third quarter planning tomorrow morning.",
    "Great, thank you. Please add the warehouse capacity forecast to the agenda, the operations team asked to discuss it before the budget is final.",
    "Added the warehouse capacity forecast. The agenda for the third quarter planning meeting is attached, let me know if anything is missing.",
  ];
  return lines.map((line, i) => {
    const id = `<thread-${i}-${token(rand, 8)}@fabrikam.com>`;
    const references = ids.length
      ? [`In-Reply-To: ${ids[ids.length - 1]}`, `References: ${ids.join(" ")}`]
      : [];
    ids.push(id);
    const to = `${PEOPLE[i % 2]}@${DOMAIN}`;
    const quoted = lines
      .slice(0, i)
      .reverse()
      .map((l) => `> ${l}`)
      .join("\n");
    return {
      raw: message({
        from: "paul.reed@fabrikam.com",
        fromName: "Paul Reed",
        to,
        subject: i ? "Re: Q3 planning" : "Q3 planning",
        messageId: id,
        ip: "198.51.100.41",
        date: date(rand, 10 + i),
        body: `${line}\n\nPaul${quoted ? `\n\nOn Mon, Paul Reed wrote:\n${quoted}` : ""}`,
        extraHeaders: references,
      }),
      reporter: to,
      group: `legit:thread-${i}`,
      attack: false,
    };
  });
}

/** Every scenario's messages, interleaved the way reports arrive (attacks and bulk mixed), seeded. */
export function campaignLab(seed = 1337): CampaignLabMessage[] {
  const rng = new Rng(seed);
  const rand: Rand = () => rng.next();
  const all = [
    ...mailboxFull(rand),
    ...payrollUpdate(rand),
    ...sharedDocument(rand),
    ...rotatingSenders(rand),
    ...newsletter(rand),
    ...invoices(rand),
    ...thread(rand),
  ];
  return all
    .map((m) => ({ m, k: rand() }))
    .sort((a, b) => a.k - b.k)
    .map(({ m }) => m);
}
