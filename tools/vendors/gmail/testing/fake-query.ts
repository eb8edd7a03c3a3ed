/**
 * The fake's Gmail search: `op:value` and `op:"a phrase"` terms for rfc822msgid, from, subject, after and
 * before, all of which must hold. Looser than exact, as Gmail is: `from:` matches any part of the From
 * header, `subject:` a phrase within the subject, both ignoring case. Anything else is a 400, so an adapter
 * sending syntax the fake does not know is caught.
 */
export interface SearchableMessage {
  internalDate: string;
  headers: Record<string, string>;
}

type Term = { op: string; value: string };

export function parseGmailQuery(q: string): Term[] {
  const terms: Term[] = [];
  const pattern = /\s*([a-z0-9]+):(?:"([^"]*)"|([^\s"]+))/y;
  let at = 0;
  while (at < q.length) {
    if (/^\s+$/.test(q.slice(at))) break;
    pattern.lastIndex = at;
    const match = pattern.exec(q);
    if (!match) throw new Error(`Invalid query at ${at}: ${q.slice(at, at + 20)}`);
    terms.push({ op: match[1] ?? "", value: match[2] ?? match[3] ?? "" });
    at = pattern.lastIndex;
  }
  return terms;
}

const header = (m: SearchableMessage, name: string) =>
  Object.entries(m.headers).find(([k]) => k.toLowerCase() === name)?.[1] ?? "";
const words = (s: string) =>
  s
    .toLowerCase()
    .split(/[^a-z0-9@.]+/)
    .filter(Boolean)
    .join(" ");
const unbracket = (s: string) =>
  s
    .trim()
    .replace(/^<(.*)>$/, "$1")
    .toLowerCase();

export function matchesGmailQuery(terms: readonly Term[], m: SearchableMessage): boolean {
  const seconds = Number(m.internalDate) / 1000;
  return terms.every(({ op, value }) => {
    switch (op) {
      case "rfc822msgid":
        return unbracket(header(m, "message-id")) === unbracket(value);
      case "from":
        return header(m, "from").toLowerCase().includes(value.toLowerCase());
      case "subject":
        return ` ${words(header(m, "subject"))} `.includes(` ${words(value)} `);
      case "after":
        return seconds > Number(value);
      case "before":
        return seconds < Number(value);
      default:
        throw new Error(`Invalid query: unknown operator ${op}`);
    }
  });
}
