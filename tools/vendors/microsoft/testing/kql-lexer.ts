/**
 * Tokens of the KQL subset the fakes understand (Log Analytics and Defender advanced hunting). Strings
 * follow Kusto's rules: "…" and '…' with backslash escapes, @"…" verbatim with doubled quotes, and no raw
 * line breaks, so a test can tell exactly which value a literal holds.
 */

export type Token =
  | { kind: "name"; text: string; quoted: boolean }
  | { kind: "string"; value: string }
  | { kind: "number"; value: number }
  | { kind: "datetime"; text: string }
  | { kind: "op"; text: string }
  | { kind: "end" };

export class KqlSyntaxError extends Error {
  override readonly name = "KqlSyntaxError";
}

const ESCAPES: Readonly<Record<string, string>> = {
  n: "\n",
  r: "\r",
  t: "\t",
  "\\": "\\",
  '"': '"',
  "'": "'",
};
const OPERATORS = [
  "..",
  "==",
  "!=",
  "=~",
  "!~",
  "<=",
  ">=",
  "|",
  "(",
  ")",
  ",",
  ".",
  "<",
  ">",
  "=",
  "[",
  "]",
];
// Negated word operators: !in, !in~, !contains, !has, !startswith.
const NEGATABLE = new Set(["in", "contains", "has", "startswith"]);

function readQuoted(source: string, start: number, verbatim: boolean): { value: string; end: number } {
  const quote = source[start];
  let value = "";
  let i = start + 1;
  for (;;) {
    const c = source[i];
    if (c === undefined || c === "\n" || c === "\r") throw new KqlSyntaxError("unterminated string literal");
    if (c === quote) {
      if (verbatim && source[i + 1] === quote) {
        value += quote;
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    if (c === "\\" && !verbatim) {
      const next = source[i + 1] ?? "";
      const escaped = ESCAPES[next];
      if (escaped === undefined) throw new KqlSyntaxError(`unknown escape \\${next}`);
      value += escaped;
      i += 2;
      continue;
    }
    value += c;
    i++;
  }
}

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] ?? "";
    const rest = source.slice(i);
    if (/\s/.test(c)) {
      i++;
    } else if (rest.startsWith("//")) {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === '"' || c === "'") {
      const { value, end } = readQuoted(source, i, false);
      tokens.push({ kind: "string", value });
      i = end;
    } else if (c === "@" && (source[i + 1] === '"' || source[i + 1] === "'")) {
      const { value, end } = readQuoted(source, i + 1, true);
      tokens.push({ kind: "string", value });
      i = end;
    } else if (c === "[" && (source[i + 1] === "'" || source[i + 1] === '"')) {
      const { value, end } = readQuoted(source, i + 1, false);
      if (source[end] !== "]") throw new KqlSyntaxError("unterminated bracketed name");
      tokens.push({ kind: "name", text: value, quoted: true });
      i = end + 1;
    } else if (/^datetime\s*\(/.test(rest)) {
      const close = source.indexOf(")", i);
      if (close < 0) throw new KqlSyntaxError("unterminated datetime literal");
      tokens.push({ kind: "datetime", text: source.slice(source.indexOf("(", i) + 1, close).trim() });
      i = close + 1;
    } else if (/[0-9]/.test(c)) {
      const match = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(rest)?.[0] ?? c;
      tokens.push({ kind: "number", value: Number(match) });
      i += match.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest)?.[0] ?? c;
      i += word.length;
      if (word === "in" && source[i] === "~") {
        tokens.push({ kind: "op", text: "in~" });
        i++;
      } else tokens.push({ kind: "name", text: word, quoted: false });
    } else if (c === "!" && /^[a-z]/.test(source[i + 1] ?? "")) {
      const word = /^[a-z]+/.exec(source.slice(i + 1))?.[0] ?? "";
      if (!NEGATABLE.has(word)) throw new KqlSyntaxError(`unknown operator !${word}`);
      i += word.length + 1;
      const tilde = word === "in" && source[i] === "~";
      if (tilde) i++;
      tokens.push({ kind: "op", text: `!${word}${tilde ? "~" : ""}` });
    } else {
      const op = OPERATORS.find((o) => rest.startsWith(o));
      if (!op) throw new KqlSyntaxError(`unexpected character ${JSON.stringify(c)}`);
      tokens.push({ kind: "op", text: op });
      i += op.length;
    }
  }
  tokens.push({ kind: "end" });
  return tokens;
}
