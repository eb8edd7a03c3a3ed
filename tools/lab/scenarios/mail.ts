/** Delivering a message to mailboxes (with gateway events) and raising the user-reported alert. */
import { createHash } from "node:crypto";
import type { Observable } from "../../../core/domain.ts";
import { buildMessage, type MimeMessage } from "../mime.ts";
import { MINUTE } from "../world.ts";
import type { GroundTruth, LabWriter } from "../writer.ts";

export type MessageSpec = Omit<MimeMessage, "to" | "date" | "boundarySeed">;

export interface Delivery {
  spec: MessageSpec;
  receivedAt: number;
  /** mailbox → lab message id */
  copies: Map<string, string>;
}

export function deliver(
  w: LabWriter,
  spec: MessageSpec,
  recipients: readonly string[],
  receivedAt: number,
): Delivery {
  const copies = new Map<string, string>();
  const boundarySeed = w.rng.hex(16);
  recipients.forEach((mailbox, index) => {
    const at = receivedAt + index * 2000;
    const raw = buildMessage({ ...spec, to: mailbox, date: new Date(receivedAt), boundarySeed });
    const id = w.id("msg");
    copies.set(mailbox, id);
    w.message(
      {
        id,
        mailbox,
        messageId: spec.messageId,
        from: spec.from.address,
        subject: spec.subject,
        receivedAt: w.iso(at),
        folder: "Inbox",
        isRead: w.rng.chance(0.6),
      },
      raw,
    );
    w.event("mail", at, {
      "email.from.address": spec.from.address,
      "email.to.address": mailbox,
      "email.subject": spec.subject,
      "email.message_id": spec.messageId,
      "source.ip": spec.receivedFrom.ip,
      "event.action": "delivered",
    });
  });
  return { spec, receivedAt, copies };
}

/** Gateway history only: earlier deliveries of a sender that are no longer in the mailboxes. */
export function pastDeliveries(
  w: LabWriter,
  from: string,
  subjects: readonly string[],
  recipients: readonly string[],
  times: readonly number[],
  ip: string,
): void {
  for (const at of times) {
    for (const to of w.rng.sample(recipients, w.rng.int(2, 6))) {
      w.event("mail", at, {
        "email.from.address": from,
        "email.to.address": to,
        "email.subject": w.rng.pick(subjects),
        "email.message_id": `<${w.rng.hex(16)}@${from.split("@")[1] ?? "mail"}>`,
        "source.ip": ip,
        "event.action": "delivered",
      });
    }
  }
}

export function sha256(content: Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}

const linkRe = /https?:\/\/[^\s"'<>]+/g;

/** The user-reported phish alert a report button would raise for one copy. */
export function reportAlert(
  w: LabWriter,
  delivery: Delivery,
  reporter: string,
  delayMinutes: number,
  truth: GroundTruth,
): void {
  const mailId = delivery.copies.get(reporter);
  if (!mailId) throw new Error(`${reporter} did not receive ${delivery.spec.messageId}`);
  const reportedAt = delivery.receivedAt + delayMinutes * MINUTE;
  const { spec } = delivery;
  const fromDomain = spec.from.address.split("@")[1] ?? "";
  const urls = [
    ...new Set([...(spec.html ?? "").matchAll(linkRe), ...spec.text.matchAll(linkRe)].map((m) => m[0])),
  ];
  const observables: Observable[] = [
    { type: "email", value: spec.from.address, role: "sender" },
    { type: "domain", value: fromDomain, role: "sender" },
    { type: "email", value: reporter, role: "reporter" },
    { type: "message_id", value: spec.messageId },
    ...urls.slice(0, 10).map((u): Observable => ({ type: "url", value: u, role: "url" })),
    ...(spec.attachments ?? []).map((a): Observable => ({
      type: "file_hash",
      value: sha256(a.content),
      role: "attachment",
    })),
  ];
  w.alert(
    {
      family: "email",
      type: "user_reported_phish",
      title: `User-reported phishing: "${spec.subject}"`,
      description: `${reporter} reported a message from ${spec.from.address} with the report button.`,
      severity: "medium",
      createdAt: w.iso(reportedAt),
      observables,
      raw: {
        reporter,
        mailbox: reporter,
        mailId,
        internetMessageId: spec.messageId,
        subject: spec.subject,
        from: spec.from.address,
        reportedAt: w.iso(reportedAt),
      },
    },
    truth,
  );
}
