import { describe, expect, it } from "vitest";
import { normalizeBody } from "./campaign-fingerprint.ts";
import { contentFeatures } from "./features.ts";
import type { EmailFacts } from "./parse.ts";

const facts = (text: string): EmailFacts => ({
  from: null,
  replyTo: [],
  returnPath: null,
  to: [],
  subject: "Invoice",
  messageId: null,
  date: null,
  headers: new Map(),
  auth: null,
  sender: null,
  receivedHops: 0,
  listUnsubscribe: false,
  text,
  html: "",
  hasPlainPart: true,
  links: [],
  attachments: [],
  truncated: [],
  overlongSender: null,
});

// 50,000 blank lines (within the 200,000 characters read): \s* at each line start rescanned the run.
const BLANKS = " \n".repeat(50_000);

describe("line-start patterns over long blank runs", () => {
  it("find a thread marker or a greeting after blank lines, in linear time", () => {
    const started = performance.now();
    expect(
      contentFeatures(facts(`Please pay.${BLANKS}-----Original Message-----\nFrom: a`))[
        "content.quoted_reply"
      ],
    ).toBe(1);
    expect(contentFeatures(facts(`Please pay.${BLANKS}Thanks`))["content.quoted_reply"]).toBe(0);
    expect(normalizeBody(`\n \n  \t Dear Jane Doe,\n\nPay invoice 4411 today${BLANKS}`)).toBe(
      "pay invoice 4411 today",
    );
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
