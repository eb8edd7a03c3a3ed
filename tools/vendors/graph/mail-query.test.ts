import { describe, expect, it } from "vitest";
import { isToolError } from "../../../core/errors.ts";
import { mailSearchQuerySchema } from "../../../core/domain.ts";
import { messageFilter, requireCriterion } from "./mail-query.ts";
import { parseFilter } from "./testing/odata.ts";

const query = (q: Parameters<typeof mailSearchQuerySchema.parse>[0]) => mailSearchQuerySchema.parse(q);

/** The ToolError code `run` throws, or null. */
function codeOf(run: () => unknown): string | null {
  try {
    run();
    return null;
  } catch (error) {
    return isToolError(error) ? error.code : String(error);
  }
}

describe("messageFilter", () => {
  it("leads with the received time (so Outlook sorts) and adds each criterion as an OData literal", () => {
    const f = messageFilter(
      query({ messageId: "<a@b>", from: "ap@evil.test", subject: "Hi", since: "2026-11-03T09:00:00+01:00" }),
      "graph",
    );
    expect(f.filter).toBe(
      "receivedDateTime ge 2026-11-03T08:00:00.000Z and internetMessageId eq '<a@b>' and " +
        "from/emailAddress/address eq 'ap@evil.test' and subject eq 'Hi'",
    );
    expect(f.orderby).toBe("receivedDateTime asc");
    expect(messageFilter(query({ mailbox: "a@b.test" }), "graph").filter).toBe(
      "receivedDateTime ge 1900-01-01T00:00:00Z",
    );
  });

  it("keeps hostile values inside their literal: quotes doubled, nothing else interpreted", () => {
    const hostile = [
      "o'brien@evil.test",
      "x' or subject eq 'y",
      "back\\slash | pipe",
      "line\nbreak\r\n",
      "' and receivedDateTime ge 1900-01-01T00:00:00Z and subject eq '",
      "%27 & $top=1 # ?",
    ];
    for (const value of hostile) {
      const f = messageFilter(query({ subject: value, from: value }), "graph");
      // The fake reads the filter as Graph would: the values come back whole, in their own clauses.
      const clauses = parseFilter(f.filter);
      expect(clauses.map((c) => c.path)).toEqual([
        "receivedDateTime",
        "from/emailAddress/address",
        "subject",
      ]);
      expect(clauses.slice(1).map((c) => (c.value.kind === "string" ? c.value.text : null))).toEqual([
        value,
        value,
      ]);
    }
  });

  it("refuses timestamps that are not timestamps, since they go into the filter unquoted", () => {
    for (const since of ["2026-11-03 or 1 eq 1", "yesterday", "2026-11-03T10:00:00Z and subject eq 'x'"]) {
      expect(codeOf(() => messageFilter({ since }, "graph"))).toBe("BAD_INPUT");
      expect(codeOf(() => messageFilter({ until: since }, "graph"))).toBe("BAD_INPUT");
    }
  });

  it("matches exactly: sender case-insensitively, subject and Message-ID as written, times inclusive", () => {
    const f = messageFilter(
      query({ from: "AP@Evil.test", subject: "Invoice", until: "2026-11-03T10:00:00.000Z" }),
      "graph",
    );
    const message = {
      internetMessageId: "<x>",
      from: "ap@evil.TEST",
      subject: "Invoice",
      receivedAt: "2026-11-03T10:00:00.000Z",
    };
    expect(f.matches(message)).toBe(true);
    expect(f.matches({ ...message, subject: "INVOICE" })).toBe(false);
    expect(f.matches({ ...message, from: "xap@evil.test" })).toBe(false);
    expect(f.matches({ ...message, receivedAt: "2026-11-03T10:00:00.001Z" })).toBe(false);
  });

  it("needs a criterion; empty strings are none", () => {
    for (const q of [{}, { from: "", subject: "" }, { since: "2026-11-03T10:00:00Z" }]) {
      expect(codeOf(() => requireCriterion(query(q), "graph"))).toBe("BAD_INPUT");
    }
  });
});
