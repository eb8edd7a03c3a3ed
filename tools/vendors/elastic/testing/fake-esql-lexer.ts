/**
 * The fake's ES|QL lexer: string literals with exactly the escapes the ES|QL lexer knows (\n \r \t \" \\;
 * a raw line break or another escape is a parsing_exception), backtick identifiers with doubled backticks,
 * and FROM's source mode, where index patterns run to whitespace or a pipe.
 */
import { FakeEsError } from "./fake-dsl.ts";

export type Token = { t: "str" | "num" | "id" | "qid" | "op" | "src"; v: string };

export const parsing = (reason: string) => new FakeEsError(400, "parsing_exception", `line 1:1: ${reason}`);

const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let sourceMode = false;
  while (i < text.length) {
    const c = text[i] ?? "";
    if (/\s/.test(c)) {
      i++;
    } else if (sourceMode && c !== "|") {
      // FROM's index patterns are read up to whitespace or a pipe, as the lexer's source mode does.
      const m = /^[^\s|]+/.exec(text.slice(i))?.[0] ?? "";
      tokens.push({ t: m.toLowerCase() === "metadata" ? "id" : "src", v: m });
      i += m.length;
    } else if (c === '"') {
      let value = "";
      for (i++; ; i++) {
        const d = text[i];
        if (d === undefined || d === "\n" || d === "\r") throw parsing("unterminated quoted string");
        if (d === '"') break;
        if (d === "\\") {
          const e = ESCAPES[text[++i] ?? ""];
          if (e === undefined) throw parsing(`invalid escape sequence \\${text[i] ?? ""}`);
          value += e;
        } else value += d;
      }
      i++;
      tokens.push({ t: "str", v: value });
    } else if (c === "`") {
      let name = "";
      for (i++; ; i++) {
        const d = text[i];
        if (d === undefined) throw parsing("unterminated quoted identifier");
        if (d === "`") {
          if (text[i + 1] !== "`") break;
          i++;
        }
        name += d;
      }
      i++;
      tokens.push({ t: "qid", v: name });
    } else {
      const m = /^(==|!=|>=|<=|[<>(),|]|-?\d+(\.\d+)?([eE][+-]?\d+)?|[A-Za-z_@][A-Za-z0-9_.@]*)/.exec(
        text.slice(i),
      )?.[0];
      if (!m) throw parsing(`token recognition error at: '${c}'`);
      const t = /^[-\d]/.test(m) ? "num" : /^[A-Za-z_@]/.test(m) ? "id" : "op";
      tokens.push({ t, v: m });
      i += m.length;
      if (t === "id" && m.toLowerCase() === "from" && tokens.length === 1) sourceMode = true;
      if (m === "|") sourceMode = false;
    }
  }
  return tokens;
}
