/** Hostile messages must not crash or hang the parser and analyzers: bounded work, and a finding that says so. */
import { describe, expect, it } from "vitest";
import { defaultOrganization } from "../../../core/organization.ts";
import { parseEmail } from "./parse.ts";
import { analyzeEmail } from "./signals.ts";

async function analyze(raw: string) {
  const facts = await parseEmail(raw);
  return {
    facts,
    signals: analyzeEmail({
      facts,
      messageEvidenceId: "ev",
      internalDomains: defaultOrganization.internalDomains,
      protectedDomains: defaultOrganization.protectedDomains,
      simulationSenderDomains: [],
      intel: [],
      senderHistory: null,
    }),
  };
}

describe("hostile input", () => {
  it("survives deeply nested MIME", async () => {
    let body = "Content-Type: text/plain\r\n\r\nhello\r\n";
    for (let i = 0; i < 200; i++)
      body = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${body}--b${i}--\r\n`;
    const { facts } = await analyze(`From: a@example.org\r\nSubject: nest\r\n${body}`);
    expect(facts.subject).toBe("nest");
  });

  it("survives a huge header block and is cut at the size bound with a finding", async () => {
    const raw = `From: a@example.org\r\nSubject: big\r\n${"X-Junk: ".concat("A".repeat(1000), "\r\n").repeat(6000)}\r\nbody\r\n`;
    const { signals } = await analyze(raw);
    expect(signals.some((s) => s.id === "email.parse.limited")).toBe(true);
  });

  it("survives broken encodings and charsets", async () => {
    const raw =
      "From: =?x-unknown?Q?=ZZ=?= <a@example.org>\r\nSubject: =?utf-8?B?!!!notbase64?=\r\nContent-Type: text/plain; charset=klingon\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%% not base64 %%%%\r\n";
    const { facts } = await analyze(raw);
    expect(facts.from?.address).toBe("a@example.org");
  });

  it("reads many links only up to the bound", async () => {
    const links = Array.from({ length: 1000 }, (_, i) => `<a href="https://x${i}.example.org/">l</a>`).join(
      "",
    );
    const { facts, signals } = await analyze(
      `From: a@example.org\r\nContent-Type: text/html\r\n\r\n${links}`,
    );
    expect(facts.links.length).toBe(200);
    expect(signals.some((s) => s.id === "email.parse.limited")).toBe(true);
  });
});
