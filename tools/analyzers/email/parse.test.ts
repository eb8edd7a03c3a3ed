/**
 * The text parseEmail reads is mailparser's own text of the message, whichever way it is reached: from
 * the parse itself, from html-to-text on a message that is one HTML part (no second parse), or from a
 * second parse with mailparser's HTML rendering on.
 */
import { simpleParser } from "mailparser";
import { describe, expect, it } from "vitest";
import { LIMITS } from "./bounds.ts";
import { parseEmail } from "./parse.ts";

/** mailparser's text with its HTML rendering on: what parseEmail's text must equal. */
async function mailparserText(raw: string): Promise<string> {
  return (await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true })).text ?? "";
}

const htmlOnly = (html: string, charset = "utf-8", encoding = "7bit") =>
  [
    "From: IT Helpdesk <it@example.test>",
    "To: dana@example.test",
    "Subject: Password expiry",
    "Message-ID: <html-only@example.test>",
    "MIME-Version: 1.0",
    `Content-Type: text/html; charset=${charset}`,
    `Content-Transfer-Encoding: ${encoding}`,
    "",
    html,
    "",
  ].join("\r\n");

const mixed = (html: string) =>
  [
    "From: a@example.test",
    "To: b@example.test",
    "Subject: Invoice",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="m1"',
    "",
    "--m1",
    "Content-Type: text/html; charset=utf-8",
    "",
    html,
    "--m1",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "Second part in plain text.",
    "--m1--",
    "",
  ].join("\r\n");

const pages = [
  "<p>Your password expires today.</p><p><a href='https://login.example.test/reset'>Keep my password</a></p>",
  "<html><head><style>p{color:red}</style></head><body><h1>Notice</h1><table><tr><td>Amount</td><td>$4,200</td></tr></table><ul><li>one</li><li>two</li></ul><img src='x.png' alt='logo'></body></html>",
  `<p>${"Please review the attached remittance advice and confirm the updated bank details today. ".repeat(4)}</p>`,
  "<div>Caf&eacute; &amp; cr&egrave;me &#8211; <b>bold</b><br>next line<br/><br/>third</div>",
];

describe("parseEmail's text", () => {
  it("is mailparser's text for a message that is one HTML part", async () => {
    for (const page of pages) {
      const raw = htmlOnly(page);
      expect((await parseEmail(raw)).text).toBe(await mailparserText(raw));
    }
  });

  it("is mailparser's text for HTML in quoted-printable and in another charset", async () => {
    const qp = htmlOnly(
      "<p>R=C3=A9initialisez votre mot de passe: <a href=3D'https://x.test/'>ici</a></p>",
      "utf-8",
      "quoted-printable",
    );
    expect((await parseEmail(qp)).text).toBe(await mailparserText(qp));
    const latin = htmlOnly("<p>Gr\u00fc\u00dfe aus M\u00fcnchen</p>", "iso-8859-1", "8bit");
    expect((await parseEmail(latin)).text).toBe(await mailparserText(latin));
  });

  it("is mailparser's text for HTML inside a multipart message (parsed a second time)", async () => {
    const raw = mixed(pages[1] ?? "");
    expect((await parseEmail(raw)).text).toBe(await mailparserText(raw));
  });

  it("strips the tags of HTML too large to render, and says so", async () => {
    const raw = htmlOnly("<b>x</b>".repeat(LIMITS.htmlToTextTags));
    const facts = await parseEmail(raw);
    expect(facts.text.startsWith(" x x x")).toBe(true);
    expect(facts.truncated.join(" ")).toContain("plain tag strip");
  });
});
