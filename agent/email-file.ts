/**
 * `triage email FILE`: a reported message from disk (.eml, or each message of an mbox) becomes a
 * user-reported alert that runs through the same graph, case memory and audit log as any other. The file's
 * message is served by an overlay on the mail port, so the playbook reads it exactly as it reads a mailbox.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import { ToolError, TriageError } from "../tools/errors.ts";
import { parseEmail } from "../tools/analyzers/email/parse.ts";
import type { Alert, Observable, Toolset } from "../tools/types.ts";

export const REPORTED_MAILBOX = "reported-message@soc-triage.local";
const MAX_FILE_BYTES = 50_000_000;

export interface ReportedMessage {
  alert: Alert;
  raw: string;
}

/** The messages in a file: one for .eml, every `From ` -separated message for mbox. */
export function readMessageFile(path: string): string[] {
  if (!existsSync(path)) throw new TriageError("BAD_INPUT", `message file ${path} not found`);
  if (statSync(path).isDirectory())
    throw new TriageError("BAD_INPUT", `${path} is a directory, not a message file`);
  if (statSync(path).size > MAX_FILE_BYTES)
    throw new TriageError("BAD_INPUT", `${path} is larger than ${MAX_FILE_BYTES} bytes`);
  // latin1 keeps every byte, so 8-bit bodies reach the MIME parser unchanged.
  const text = readFileSync(path, "latin1");
  if (!text.trim()) throw new TriageError("BAD_INPUT", `${path} is empty`);
  const mbox = /^From \S+/.test(text) && (text.match(/^From \S+.*$/gm) ?? []).length > 1;
  const messages = mbox ? text.split(/^(?=From \S+.*$)/m).filter((m) => m.trim()) : [text];
  for (const [i, m] of messages.entries()) {
    if (!/^[A-Za-z0-9-]+:/m.test(m.slice(0, 10_000))) {
      throw new TriageError(
        "BAD_INPUT",
        `${path}${mbox ? ` (message ${i + 1})` : ""} has no mail headers; is it an .eml or mbox file?`,
      );
    }
  }
  return messages;
}

export async function reportedMessage(
  raw: string,
  options: { file: string; index: number; reporter?: string; now: Date },
): Promise<ReportedMessage> {
  const facts = await parseEmail(raw);
  const digest = createHash("sha256").update(raw, "latin1").digest("hex");
  const id = `EML-${digest.slice(0, 12)}`;
  const observables: Observable[] = [
    ...(facts.from
      ? [
          { type: "email" as const, value: facts.from.address, role: "sender" },
          { type: "domain" as const, value: facts.from.domain, role: "sender" },
        ]
      : []),
    // Reply-To is where answers go: a specific indicator case memory may match exactly.
    ...facts.replyTo.map((r) => ({ type: "email" as const, value: r.address, role: "reply_to" })),
    ...(options.reporter
      ? [{ type: "email" as const, value: options.reporter.toLowerCase(), role: "reporter" }]
      : []),
    ...(facts.messageId ? [{ type: "message_id" as const, value: facts.messageId }] : []),
    ...[...new Set(facts.links.map((l) => l.href))]
      .slice(0, 20)
      .filter((u) => u.length <= 2048)
      .map((u) => ({ type: "url" as const, value: u, role: "url" })),
    ...facts.attachments
      .slice(0, 20)
      .map((a) => ({ type: "file_hash" as const, value: a.sha256, role: "attachment" })),
  ].filter((o) => o.value.length > 0);
  const subject = facts.subject || "(no subject)";
  const alert: Alert = {
    id,
    source: "file",
    family: "email",
    type: "user_reported_phish",
    title: `Reported message: "${subject.slice(0, 200)}"`,
    description: `${basename(options.file)}${options.index ? ` message ${options.index + 1}` : ""}, from ${facts.from?.address ?? "an unknown sender"}`,
    severity: "medium",
    createdAt: options.now.toISOString(),
    observables,
    raw: {
      mailbox: REPORTED_MAILBOX,
      mailId: id,
      ...(facts.messageId ? { internetMessageId: facts.messageId } : {}),
      ...(options.reporter ? { reporter: options.reporter } : {}),
      file: options.file,
      subject,
    },
  };
  return { alert, raw };
}

/** The configured tools, plus the reported message as an alert and as a message in a mailbox. */
export function withReportedMessages(tools: Toolset, messages: readonly ReportedMessage[]): Toolset {
  const byId = new Map(messages.map((m) => [m.alert.id, m]));
  // A message from a file is the user's own, not the lab's fictional company's: the lab's logs are no
  // history of its sender. A deployment's SIEM is, so it keeps speaking for these messages.
  const foreign = (alert: Alert) => byId.has(alert.id) && tools.siem.simulated === true;
  return {
    ...tools,
    siem: {
      vendor: tools.siem.vendor,
      ...(tools.siem.simulated === undefined ? {} : { simulated: tools.siem.simulated }),
      speaksFor: (alert) => !foreign(alert) && (tools.siem.speaksFor?.(alert) ?? true),
      searchEvents: (query, options) => tools.siem.searchEvents(query, options),
    },
    alerts: {
      name: "file",
      async getAlert(id, options) {
        const found = byId.get(id);
        if (found) return found.alert;
        return tools.alerts.getAlert(id, options);
      },
      listAlerts: (query, options) => tools.alerts.listAlerts(query, options),
    },
    mail: {
      vendor: tools.mail.vendor,
      async findMessages(query, options) {
        const own = messages
          .filter((m) => query.messageId !== undefined && m.alert.raw.internetMessageId === query.messageId)
          .map((m) => ({
            id: m.alert.id,
            mailbox: REPORTED_MAILBOX,
            messageId: query.messageId ?? "",
            from: "",
            subject: String(m.alert.raw.subject ?? ""),
            receivedAt: m.alert.createdAt,
            folder: "Reported",
            isRead: true,
          }));
        try {
          return [...own, ...(await tools.mail.findMessages(query, options))];
        } catch (error) {
          if (own.length && error instanceof ToolError) return own;
          throw error;
        }
      },
      async getRawMessage(mailbox, id, options) {
        const found = byId.get(id);
        if (found && mailbox === REPORTED_MAILBOX) return found.raw;
        return tools.mail.getRawMessage(mailbox, id, options);
      },
      listInboxRules: (mailbox, options) => tools.mail.listInboxRules(mailbox, options),
    },
  };
}
