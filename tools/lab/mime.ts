/**
 * Builds real RFC 5322 / MIME messages (CRLF line ends, base64 attachments, RFC 2047 subjects) for the
 * lab's mailboxes, so every message goes through the same parser a real mailbox export would.
 */
export interface MimeAddress {
  name: string;
  address: string;
}

export interface MimeAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface MimeMessage {
  from: MimeAddress;
  to: string;
  subject: string;
  date: Date;
  messageId: string;
  returnPath: string;
  replyTo?: string;
  /** The hop that handed the message to our gateway. */
  receivedFrom: { host: string; ip: string };
  /** Verdicts our gateway stamped in Authentication-Results. */
  auth: { spf: string; dkim: string; dmarc: string };
  text: string;
  html?: string;
  attachments?: MimeAttachment[];
  headers?: Record<string, string>;
  boundarySeed: string;
}

const CRLF = "\r\n";

export function rfc5322Date(date: Date): string {
  return date.toUTCString().replace("GMT", "+0000");
}

function encodeWord(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, "utf8").toString("base64")}?=`;
}

function formatAddress(a: MimeAddress): string {
  if (!a.name) return `<${a.address}>`;
  const name = encodeWord(a.name);
  return name === a.name ? `"${a.name.replace(/"/g, "'")}" <${a.address}>` : `${name} <${a.address}>`;
}

function base64Lines(content: Buffer): string {
  return (content.toString("base64").match(/.{1,76}/g) ?? []).join(CRLF);
}

function textPart(contentType: string, body: string): string {
  return [
    `Content-Type: ${contentType}; charset=utf-8`,
    "Content-Transfer-Encoding: base64",
    "",
    base64Lines(Buffer.from(body, "utf8")),
  ].join(CRLF);
}

export function buildMessage(m: MimeMessage): string {
  const headers: string[] = [
    `Received: from ${m.receivedFrom.host} (${m.receivedFrom.host} [${m.receivedFrom.ip}])${CRLF}\tby mx1.northwindtraders.com with ESMTPS id ${m.boundarySeed.slice(0, 10)}; ${rfc5322Date(m.date)}`,
    `Authentication-Results: mx1.northwindtraders.com; spf=${m.auth.spf} smtp.mailfrom=${m.returnPath.split("@")[1] ?? ""}; dkim=${m.auth.dkim} header.d=${m.from.address.split("@")[1] ?? ""}; dmarc=${m.auth.dmarc} header.from=${m.from.address.split("@")[1] ?? ""}`,
    `Return-Path: <${m.returnPath}>`,
    `From: ${formatAddress(m.from)}`,
    `To: ${m.to}`,
    `Subject: ${encodeWord(m.subject)}`,
    `Date: ${rfc5322Date(m.date)}`,
    `Message-ID: ${m.messageId}`,
    ...(m.replyTo ? [`Reply-To: ${m.replyTo}`] : []),
    ...Object.entries(m.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    "MIME-Version: 1.0",
  ];
  const alternative = `alt-${m.boundarySeed}`;
  const body = m.html
    ? [
        `Content-Type: multipart/alternative; boundary="${alternative}"`,
        "",
        `--${alternative}`,
        textPart("text/plain", m.text),
        `--${alternative}`,
        textPart("text/html", m.html),
        `--${alternative}--`,
        "",
      ].join(CRLF)
    : textPart("text/plain", m.text);
  const attachments = m.attachments ?? [];
  if (!attachments.length) return `${headers.join(CRLF)}${CRLF}${body}${CRLF}`;
  const mixed = `mix-${m.boundarySeed}`;
  const parts = attachments.map((a) =>
    [
      `Content-Type: ${a.contentType}; name="${a.filename}"`,
      `Content-Disposition: attachment; filename="${a.filename}"`,
      "Content-Transfer-Encoding: base64",
      "",
      base64Lines(a.content),
    ].join(CRLF),
  );
  return [
    ...headers,
    `Content-Type: multipart/mixed; boundary="${mixed}"`,
    "",
    `--${mixed}`,
    body,
    ...parts.flatMap((p) => [`--${mixed}`, p]),
    `--${mixed}--`,
    "",
  ].join(CRLF);
}
