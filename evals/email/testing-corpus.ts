/** A tiny labeled corpus written to a temp directory, for tests of the evaluation and `triage eval`. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const message = (from: string, subject: string, body: string, extra = "") =>
  `From: ${from}\r\nTo: ap@acme-widgets.example\r\nSubject: ${subject}\r\nDate: Tue, 3 Mar 2026 09:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, "")}@test>\r\n${extra}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`;

/** The organization the fixtures were sent to: a protected CEO, Jane Holloway. */
export const FIXTURE_CONFIG = `organization:
  name: Acme Widgets
  internalDomains: [acme-widgets.example]
  protectedDomains: [acme-widgets.example]
  protectedPeople: [Jane Holloway]
`;

const FILES: Array<{
  file: string;
  label: "malicious" | "benign";
  source: string;
  class?: string;
  raw: string;
}> = [
  {
    file: "ceo-fraud.eml",
    label: "malicious",
    source: "bec",
    class: "ceo_fraud",
    raw: message(
      '"Jane Holloway" <jholloway.office@outlook.com>',
      "Quick favour",
      "Hi,\r\n\r\nAre you at your desk? I need you to handle a confidential payment for me before noon. Reply with your mobile number.\r\n\r\nJane",
    ),
  },
  {
    file: "credential-phish.eml",
    label: "malicious",
    source: "phishing_pot",
    class: "phishing",
    raw: message(
      '"Microsoft 365" <no-reply@secure-m1crosoft-login.top>',
      "ACTION REQUIRED: your mailbox will be suspended",
      "Dear customer,\r\n\r\nUnusual sign-in activity was detected. Your account will be suspended within 24 hours. Click here to verify your identity: http://bit.ly/3xYzAbc\r\n\r\nhttps://secure-m1crosoft-login.top/owa/login.php?redirect=https%3A%2F%2Foffice.com\r\n\r\nMicrosoft account team",
    ),
  },
  {
    file: "colleague.eml",
    label: "benign",
    source: "enron",
    raw: message(
      '"Tom Becker" <tom.becker@acme-widgets.example>',
      "Re: Q3 forecast",
      "Thanks, the numbers look right to me. Let's go through the open items on Thursday.\r\n\r\n> Attached is the draft forecast.\r\n> Tom wrote:\r\n\r\nTom",
    ),
  },
  {
    file: "newsletter.eml",
    label: "benign",
    source: "spamassassin",
    class: "ham-easy",
    raw: message(
      '"Linux Weekly" <editor@lwn.example>',
      "This week in the kernel",
      "This week: scheduler changes, a new file system and the usual release notes. Read more at https://lwn.example/weekly/\r\n\r\nTo unsubscribe, visit https://lwn.example/unsubscribe",
    ),
  },
];

/** Writes the messages, manifest.jsonl and (unless `config: false`) config.yaml into `dir`. */
export function writeFixtureCorpus(dir: string, options: { config?: boolean } = {}): void {
  mkdirSync(dir, { recursive: true });
  for (const f of FILES) writeFileSync(join(dir, f.file), f.raw, "latin1");
  writeFileSync(
    join(dir, "manifest.jsonl"),
    `${FILES.map(({ raw: _raw, ...line }) => JSON.stringify(line)).join("\n")}\n`,
  );
  if (options.config !== false) writeFileSync(join(dir, "config.yaml"), FIXTURE_CONFIG);
}
