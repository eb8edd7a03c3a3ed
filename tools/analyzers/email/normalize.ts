/**
 * The "headline" view of a message for honest evaluation: what a reported message shows, without the
 * delivery artefacts that differ between corpora by era and collection method rather than by intent
 * (Received chains, Authentication-Results, X-MS-Exchange-*, honeypot recipients, dates, mbox envelopes).
 * Both classes go through the same function, so neither keeps a tell the other lacks.
 */

// Headers a reported message keeps: who it claims to be from, where replies go, what it says and how it is
// built. Everything else (transport, authentication stamps, vendor X- headers, recipients, dates) goes.
const KEPT = new Set([
  "from",
  "reply-to",
  "sender",
  "subject",
  "mime-version",
  "content-type",
  "content-transfer-encoding",
  "content-disposition",
  "list-unsubscribe",
]);

const NEUTRAL_RECIPIENT = "recipient@example.org";
const HONEYPOT = /\bphish(ing)?@pot\b/gi;
const NEUTRAL_DATE = "Mon, 02 Nov 2026 08:00:00 +0000";

function splitHead(raw: string): { head: string; body: string } {
  const match = /\r?\n\r?\n/.exec(raw);
  if (!match) return { head: raw, body: "" };
  return { head: raw.slice(0, match.index), body: raw.slice(match.index + match[0].length) };
}

/** Unfolded header lines, in order. */
function headerLines(head: string): string[] {
  const lines: string[] = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && lines.length) lines[lines.length - 1] += ` ${line.trim()}`;
    else if (line) lines.push(line);
  }
  return lines;
}

export function headlineView(raw: string): string {
  const withoutEnvelope = raw.replace(/^From [^\r\n]*\r?\n/, "");
  const { head, body } = splitHead(withoutEnvelope);
  // The honeypot's own address stands for "the recipient" wherever it appears (a spoofed From: of the
  // recipient is a real trick; the literal address is a corpus artefact).
  const kept = headerLines(head)
    .filter((line) => KEPT.has(line.slice(0, line.indexOf(":")).trim().toLowerCase()))
    .map((line) => line.replace(HONEYPOT, NEUTRAL_RECIPIENT));
  const headers = [
    ...kept,
    `To: <${NEUTRAL_RECIPIENT}>`,
    `Date: ${NEUTRAL_DATE}`,
    "Message-ID: <normalized@example.org>",
  ];
  const neutralBody = body.replace(HONEYPOT, NEUTRAL_RECIPIENT);
  return `${headers.join("\r\n")}\r\n\r\n${neutralBody}`;
}
