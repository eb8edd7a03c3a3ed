import { describe, expect, it } from "vitest";
import { isToolError } from "../../../core/errors.ts";
import {
  mailSearchQuerySchema,
  type MailboxMessage,
  type MailSearchQueryInput,
} from "../../../core/domain.ts";
import { gmailSearch, matches } from "./query.ts";
import { matchesGmailQuery, parseGmailQuery } from "./testing/fake-query.ts";

const q = (input: MailSearchQueryInput) => gmailSearch(mailSearchQuerySchema.parse(input));

const message: MailboxMessage = {
  id: "m-1",
  mailbox: "ann@corp.test",
  messageId: "<fx-1@evil.test>",
  from: "ap@evil.test",
  subject: "Invoice",
  receivedAt: "2026-11-03T09:30:00.000Z",
  folder: "Inbox",
  isRead: false,
};

describe("Gmail search terms", () => {
  it("writes plain values bare, without the Message-ID's brackets, and quotes subjects as phrases", () => {
    expect(q({ messageId: "<fx-1@evil.test>", from: "AP@evil.test", subject: "Invoice" })).toBe(
      'rfc822msgid:fx-1@evil.test from:AP@evil.test subject:"Invoice"',
    );
  });

  it("gives the time bounds a second of slack each way (the exact check trims it)", () => {
    expect(
      q({ mailbox: "ann@corp.test", since: "2026-11-03T09:30:00.500Z", until: "2026-11-03T10:30:00+01:00" }),
    ).toBe("after:1793698199 before:1793698201");
    const error = (() => {
      try {
        // Past the schema (a caller that skipped it): the translator still refuses it.
        return gmailSearch({ mailbox: "ann@corp.test", since: "last week", limit: 10 });
      } catch (e) {
        return e;
      }
    })();
    expect(isToolError(error) && error.code).toBe("BAD_INPUT");
  });

  it("blanks quotes, backslashes, parentheses, braces and control characters instead of splicing them", () => {
    expect(q({ subject: 'Re: "urgent" (pay) {now}\\ today\r\nBcc: x' })).toBe(
      'subject:"Re: urgent pay now today Bcc: x"',
    );
    expect(q({ from: 'x" OR from:*' })).toBe('from:"x OR from:*"');
    expect(q({ messageId: "<a b|c@d>" })).toBe('rfc822msgid:"a b|c@d"');
    // Nothing searchable is left: the term is dropped rather than sent empty.
    expect(q({ subject: '"\\"', mailbox: "ann@corp.test" })).toBe("");
  });

  it("never cuts narrower than the exact search: a message with the hostile value still matches the query", () => {
    const hostile = [
      'Re: "urgent" (pay)',
      "tab\tand\nnewline",
      "a|b OR c",
      "{x} -y",
      'back\\slash "q"',
      "Invoice",
    ];
    for (const subject of hostile) {
      const terms = parseGmailQuery(q({ subject, from: "ap@evil.test" }));
      const stored = {
        internalDate: String(Date.parse(message.receivedAt)),
        headers: { From: '"AP" <ap@evil.test>', Subject: subject },
      };
      expect(matchesGmailQuery(terms, stored), JSON.stringify(subject)).toBe(true);
    }
  });

  it("checks answers exactly: Message-ID with or without brackets, sender case-insensitively, subject as is, bounds inclusive", () => {
    const exact = (input: MailSearchQueryInput) => matches(message, mailSearchQuerySchema.parse(input));
    expect(exact({ messageId: "fx-1@evil.test" })).toBe(true);
    expect(exact({ messageId: "<FX-1@evil.test>" })).toBe(false);
    expect(exact({ from: "AP@Evil.Test" })).toBe(true);
    expect(exact({ from: "evil.test" })).toBe(false);
    expect(exact({ subject: "invoice" })).toBe(false);
    expect(exact({ mailbox: "x", since: message.receivedAt, until: message.receivedAt })).toBe(true);
    expect(exact({ mailbox: "x", since: "2026-11-03T09:30:00.001Z" })).toBe(false);
  });
});
