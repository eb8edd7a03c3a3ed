/**
 * `triage email FILE`: a reported message from disk (.eml, or each message of an mbox) becomes a
 * user-reported alert that runs through the same graph, case memory and audit log as any other. The file's
 * message is served by an overlay on the mail port, so the playbook reads it exactly as it reads a mailbox.
 */
import { createHash } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { basename } from "node:path";
import { describeError, ToolError, TriageError } from "../core/errors.ts";
import { parseEmail } from "../tools/analyzers/email/parse.ts";
import { servedSource } from "../tools/analyzers/email/source.ts";
import { observableSchema, type Alert, type Observable } from "../core/domain.ts";
import { type Toolset } from "../core/ports.ts";

export const REPORTED_MAILBOX = "reported-message@soc-triage.local";
const MAX_FILE_BYTES = 50_000_000;

export interface ReportedMessage {
  alert: Alert;
  raw: string;
}

export interface MessageFile {
  messages: string[];
  /** Set when the file was longer than the bound: its last message was cut, and a finding says so. */
  cut: string | null;
}

function kind(stats: Stats): string {
  if (stats.isDirectory()) return "a directory";
  if (stats.isFIFO()) return "a FIFO";
  if (stats.isSocket()) return "a socket";
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return "a device";
  return "not a regular file";
}

/**
 * At most `MAX_FILE_BYTES` + 1 bytes of a regular file, as latin1 (every byte kept, so 8-bit bodies reach the
 * MIME parser unchanged). Devices, FIFOs and sockets are refused before they are opened: /dev/zero or a FIFO
 * would otherwise be read forever, and opening a FIFO blocks. O_NONBLOCK and the second stat cover a path
 * swapped between the two.
 */
function readBounded(path: string): { text: string; size: number } {
  let stats: Stats;
  let fd: number;
  try {
    stats = statSync(path);
    if (!stats.isFile()) throw new TriageError("BAD_INPUT", `${path} is ${kind(stats)}, not a message file`);
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if (error instanceof TriageError) throw error;
    // Only a missing file is "not found": a permission or a symlink loop is said as it is.
    const missing = error instanceof Error && "code" in error && error.code === "ENOENT";
    throw new TriageError(
      "BAD_INPUT",
      missing
        ? `message file ${path} not found`
        : `cannot read message file ${path}: ${describeError(error)}`,
    );
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile())
      throw new TriageError("BAD_INPUT", `${path} is ${kind(opened)}, not a message file`);
    // Chunks, not the stated size: a file may grow while read, and /proc files state 0.
    const chunks: Buffer[] = [];
    let length = 0;
    while (length <= MAX_FILE_BYTES) {
      const chunk = Buffer.alloc(Math.min(1 << 20, MAX_FILE_BYTES + 1 - length));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      length += n;
    }
    const text = Buffer.concat(chunks).toString("latin1", 0, Math.min(length, MAX_FILE_BYTES));
    return { text, size: Math.max(length, opened.size) };
  } finally {
    closeSync(fd);
  }
}

/** The messages in a file: one for .eml, every `From ` -separated message for mbox. */
export function readMessageFile(path: string): MessageFile {
  const { text, size } = readBounded(path);
  const cut = size > MAX_FILE_BYTES ? `the file was cut to ${MAX_FILE_BYTES} bytes of ${size}` : null;
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
  return { messages, cut };
}

/**
 * An observable the alert schema accepts and a lookup can use. A hostile message's overlong address or
 * domain is dropped here rather than failing the alert: its length is itself a finding (email.limits.*).
 */
function usableObservable(observable: Observable): boolean {
  const max = observable.type === "email" ? 320 : observable.type === "domain" ? 253 : 2048;
  return observable.value.length <= max && observableSchema.safeParse(observable).success;
}

export async function reportedMessage(
  raw: string,
  options: { file: string; index: number; reporter?: string; now: Date; cut?: string | null },
): Promise<ReportedMessage> {
  // The playbook reads the bounded source, not the file: a 20 MB message would otherwise sit in every
  // checkpoint of the case; the marker line carries what was cut.
  const served = servedSource(raw, options.cut);
  const facts = await parseEmail(served);
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
  ].filter(usableObservable);
  const subject = facts.subject || "(no subject)";
  const alert: Alert = {
    id,
    source: "file",
    family: "email",
    type: "user_reported_phish",
    title: `Reported message: "${subject.slice(0, 200)}"`,
    description: `${basename(options.file).slice(0, 255)}${options.index ? ` message ${options.index + 1}` : ""}, from ${facts.from?.address ?? "an unknown sender"}`,
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
  return { alert, raw: served };
}

/**
 * The configured tools, plus the reported message as an alert and as a message in a mailbox. The list is
 * read at each call, so a long run (the hostile benchmark) can hold one message at a time.
 */
export function withReportedMessages(tools: Toolset, messages: readonly ReportedMessage[]): Toolset {
  // Where each alert was last seen in the list, checked on every use: the list may change under us, and
  // an mbox of n messages would otherwise scan it on every port call of every message (n² in all).
  const seen = new Map<string, number>();
  const find = (id: string): ReportedMessage | undefined => {
    const at = seen.get(id);
    if (at !== undefined && messages[at]?.alert.id === id) return messages[at];
    const index = messages.findIndex((m) => m.alert.id === id);
    if (index < 0) return undefined;
    seen.set(id, index);
    return messages[index];
  };
  // A message from a file is the user's own, not the lab's fictional company's: the lab's logs are no
  // history of its sender. A deployment's SIEM is, so it keeps speaking for these messages.
  const foreign = (alert: Alert) => find(alert.id) !== undefined && tools.siem.simulated === true;
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
        const found = find(id);
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
        const found = find(id);
        if (found && mailbox === REPORTED_MAILBOX) return found.raw;
        return tools.mail.getRawMessage(mailbox, id, options);
      },
      listInboxRules: (mailbox, options) => tools.mail.listInboxRules(mailbox, options),
    },
  };
}
