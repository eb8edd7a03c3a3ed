/** Findings about the HTML a message carries, in its body or as an attachment: smuggling and login forms. */
import { signal, type Signal } from "../signal.ts";
import { htmlTraits } from "./html-traits.ts";
import type { EmailFacts } from "./parse.ts";

export function pageSignals(facts: EmailFacts, ev: string[]): Signal[] {
  const out: Signal[] = [];
  for (const a of facts.attachments) {
    // 2.5: script that decodes a payload and hands it over as a download has no use in mail but to slip a
    // file past the gateway's scanners (Sublime's many attachment_html_smuggling_* rules).
    if (a.htmlTraits.includes("smuggles_file"))
      out.push(
        signal(
          "email.attachment.html_smuggling",
          `${a.filename} builds a file in the browser from embedded data (HTML smuggling)`,
          2.5,
          ev,
          { attack: ["T1027.006", "T1566.001"], category: "malware_delivery" },
        ),
      );
    // 2: a local page asking for a password is a phishing page that no URL filter ever sees.
    if (a.htmlTraits.includes("password_form"))
      out.push(
        signal("email.attachment.credential_form", `${a.filename} is a page asking for a password`, 2, ev, {
          attack: ["T1566.001", "T1056.003"],
          category: "credential_phishing",
        }),
      );
  }
  // 1.5: real services send a link to their sign-in page, never the password field itself.
  if (htmlTraits(facts.html).includes("password_form"))
    out.push(
      signal("email.html.credential_form", "The message itself holds a form asking for a password", 1.5, ev, {
        attack: ["T1566.002", "T1056.003"],
        category: "credential_phishing",
      }),
    );
  return out;
}
