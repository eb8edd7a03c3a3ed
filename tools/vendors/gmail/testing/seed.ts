/**
 * The contract fixture in Gmail's shapes: each copy a message in its mailbox with system labels (INBOX,
 * UNREAD), internalDate in epoch milliseconds as a string, headers as Gmail returns them (a display name
 * in From, Message-Id spelt differently on one copy) and the RFC 5322 source; the fixture's rule as a Gmail
 * filter. Fixture message ids are Gmail message ids here, so they round-trip.
 */
import { FIXTURE, rawSource } from "../../../lab/testing/fixture.ts";
import type { MailboxMessage } from "../../../../core/domain.ts";

export interface FakeMessage {
  id: string;
  threadId: string;
  labelIds: string[];
  internalDate: string;
  headers: Record<string, string>;
  raw: string;
}

export interface FakeFilter {
  id: string;
  criteria: Record<string, unknown>;
  action: { addLabelIds?: string[]; removeLabelIds?: string[]; forward?: string };
}

export interface GmailWorld {
  /** Messages per mailbox, keyed by lower-case address. */
  mailboxes: Map<string, FakeMessage[]>;
  filters: Map<string, FakeFilter[]>;
  autoForwarding: Map<string, { enabled: boolean; emailAddress?: string; disposition?: string }>;
  /** User labels per mailbox, beside the system ones every mailbox has. */
  userLabels: Map<string, Array<{ id: string; name: string }>>;
}

export function gmailMessageOf(message: MailboxMessage, raw = rawSource(message)): FakeMessage {
  const local = message.from.split("@")[0] ?? message.from;
  return {
    id: message.id,
    threadId: `t-${message.id}`,
    labelIds: [
      message.folder === "Inbox" ? "INBOX" : "CATEGORY_UPDATES",
      ...(message.isRead ? [] : ["UNREAD"]),
    ],
    internalDate: String(Date.parse(message.receivedAt)),
    headers: {
      From: `"${local.toUpperCase()} Team" <${message.from}>`,
      To: message.mailbox,
      Subject: message.subject,
      [message.id === "m-2" ? "Message-Id" : "Message-ID"]: message.messageId,
    },
    raw,
  };
}

export function fixtureWorld(): GmailWorld {
  const mailboxes = new Map<string, FakeMessage[]>([
    ["ann@corp.test", []],
    ["bob@corp.test", []],
  ]);
  for (const m of FIXTURE.messages) mailboxes.get(m.mailbox.toLowerCase())?.push(gmailMessageOf(m));
  const { rule } = FIXTURE;
  return {
    mailboxes,
    filters: new Map([
      [
        rule.mailbox,
        [{ id: rule.id, criteria: { ...rule.conditions }, action: { forward: rule.forwardTo[0] ?? "" } }],
      ],
    ]),
    autoForwarding: new Map(),
    userLabels: new Map(),
  };
}
