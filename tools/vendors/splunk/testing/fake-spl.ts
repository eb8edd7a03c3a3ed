/**
 * The fake's SPL: enough of Splunk's search language to run what the adapter sends, parsed the way
 * Splunk tokenizes (double-quoted strings with \" and \\, single-quoted field names, backtick macros,
 * pipes outside quotes), so an injected pipe or quote would show up as a command or a syntax error.
 * Commands: search (field=value with * wildcards, case-insensitive; !=, IN, NOT, OR, parentheses; the
 * `notable` macro), where (AND/OR/NOT, comparisons, tonumber, match, isnull, urldecode, lower), sort,
 * head, makeresults. Anything else fails as Splunk does: 400 with a FATAL message.
 */

export interface FakeRow {
  /** Epoch seconds. */
  time: number;
  fields: Record<string, string | string[]>;
}

export class SplError extends Error {}

type Token =
  { kind: "str" | "field" | "macro" | "word" | "punct" | "op"; value: string } | { kind: "pipe"; value: "|" };

export function tokenize(spl: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const until = (close: string, escapes: boolean) => {
    let out = "";
    for (i++; i < spl.length && spl[i] !== close; i++) {
      if (escapes && spl[i] === "\\" && (spl[i + 1] === '"' || spl[i + 1] === "\\")) i++;
      out += spl[i];
    }
    if (i >= spl.length) throw new SplError(`Unbalanced quotes.`);
    i++;
    return out;
  };
  while (i < spl.length) {
    const c = spl[i] ?? "";
    if (/\s/.test(c)) i++;
    else if (c === '"') tokens.push({ kind: "str", value: until('"', true) });
    else if (c === "'") tokens.push({ kind: "field", value: until("'", false) });
    else if (c === "`") tokens.push({ kind: "macro", value: until("`", false) });
    else if (c === "|" || "(),".includes(c)) {
      tokens.push(c === "|" ? { kind: "pipe", value: "|" } : { kind: "punct", value: c });
      i++;
    } else if (/[=!<>]/.test(c)) {
      const op = /^(==|!=|>=|<=|=|<|>)/.exec(spl.slice(i))?.[0];
      if (!op) throw new SplError(`Unexpected '${c}'.`);
      tokens.push({ kind: "op", value: op });
      i += op.length;
    } else {
      const word = /^[^\s"'`|(),=!<>]+/.exec(spl.slice(i))?.[0] ?? c;
      tokens.push({ kind: "word", value: word });
      i += word.length;
    }
  }
  return tokens;
}

/** A cursor over one command's tokens. */
class Cursor {
  private at = 0;
  constructor(private readonly tokens: Token[]) {}
  peek(): Token | undefined {
    return this.tokens[this.at];
  }
  next(): Token {
    const token = this.tokens[this.at++];
    if (!token) throw new SplError("Unexpected end of search.");
    return token;
  }
  isWord(value: string): boolean {
    const token = this.peek();
    return token?.kind === "word" && token.value === value;
  }
  isPunct(value: string): boolean {
    const token = this.peek();
    return token?.kind === "punct" && token.value === value;
  }
  expect(value: string): void {
    const token = this.next();
    if (token.value !== value) throw new SplError(`Expected '${value}', found '${token.value}'.`);
  }
  done(): boolean {
    return this.at >= this.tokens.length;
  }
}

type Test = (row: FakeRow) => boolean;
const valuesOf = (row: FakeRow, field: string): string[] => {
  if (field === "_time") return [String(row.time)];
  const value = row.fields[field];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
};

function glob(pattern: string): RegExp {
  const body = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${body}$`, "is");
}

const MACROS: Record<string, string> = { notable: "index=notable" };

/** The search command: implicit AND, OR, NOT, parentheses, field=value, field!=value, field IN (…). */
function searchTest(cursor: Cursor): Test {
  const primary = (): Test => {
    if (cursor.isWord("NOT")) {
      cursor.next();
      const inner = primary();
      return (row) => !inner(row);
    }
    if (cursor.isPunct("(")) {
      cursor.next();
      const inner = orExpr();
      cursor.expect(")");
      return inner;
    }
    const token = cursor.next();
    if (token.kind === "macro") {
      const body = MACROS[token.value];
      if (!body) throw new SplError(`The search specifies a macro '${token.value}' that cannot be found.`);
      return searchTest(new Cursor(tokenize(body)));
    }
    if (token.kind !== "word") throw new SplError(`Unsupported search term '${token.value}'.`);
    const field = token.value;
    if (cursor.isWord("IN")) {
      cursor.next();
      cursor.expect("(");
      const patterns: RegExp[] = [];
      for (;;) {
        patterns.push(glob(cursor.next().value));
        if (cursor.isPunct(")")) break;
        cursor.expect(",");
      }
      cursor.expect(")");
      return (row) => valuesOf(row, field).some((v) => patterns.some((p) => p.test(v)));
    }
    const op = cursor.next();
    if (op.kind !== "op" || (op.value !== "=" && op.value !== "!="))
      throw new SplError(`Unsupported search term '${field}${op.value}' (the fake knows = != IN).`);
    const pattern = glob(cursor.next().value);
    return op.value === "="
      ? (row) => valuesOf(row, field).some((v) => pattern.test(v))
      : (row) => valuesOf(row, field).length > 0 && !valuesOf(row, field).some((v) => pattern.test(v));
  };
  const andExpr = (): Test => {
    const parts = [primary()];
    while (!cursor.done() && !cursor.isWord("OR") && !cursor.isPunct(")")) {
      if (cursor.isWord("AND")) cursor.next();
      parts.push(primary());
    }
    return (row) => parts.every((p) => p(row));
  };
  const orExpr = (): Test => {
    const parts = [andExpr()];
    while (cursor.isWord("OR")) {
      cursor.next();
      parts.push(andExpr());
    }
    return (row) => parts.some((p) => p(row));
  };
  if (cursor.done()) return () => true;
  const test = orExpr();
  if (!cursor.done()) throw new SplError(`Unexpected '${cursor.next().value}' in search.`);
  return test;
}

type Value = string | number | boolean | null;
type Expr = (row: FakeRow) => Value;

function compare(a: Value, op: string, b: Value): boolean {
  if (a === null || b === null) return false;
  const na = Number(a);
  const nb = Number(b);
  const numeric = a !== "" && b !== "" && Number.isFinite(na) && Number.isFinite(nb);
  const order = numeric ? na - nb : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
  if (op === "=" || op === "==") return order === 0;
  if (op === "!=") return order !== 0;
  if (op === ">=") return order >= 0;
  if (op === "<=") return order <= 0;
  return op === ">" ? order > 0 : order < 0;
}

/** PCRE as the adapter writes it: a leading (?i), the rest JS-compatible without the u flag. */
function pcre(pattern: string): RegExp {
  const insensitive = pattern.startsWith("(?i)");
  return new RegExp(insensitive ? pattern.slice(4) : pattern, insensitive ? "is" : "s");
}

const FUNCTIONS: Record<string, (args: Value[]) => Value> = {
  tonumber: ([v]) =>
    v === null || v === undefined || !Number.isFinite(Number(v)) || v === "" ? null : Number(v),
  isnull: ([v]) => v === null || v === undefined,
  urldecode: ([v]) => (typeof v === "string" ? decodeURIComponent(v) : null),
  lower: ([v]) => (v === null || v === undefined ? null : String(v).toLowerCase()),
  match: ([v, re]) => v !== null && v !== undefined && pcre(String(re)).test(String(v)),
};

/** The where command: an eval expression that must be true. */
function whereTest(cursor: Cursor): Test {
  const operand = (): Expr => {
    if (cursor.isPunct("(")) {
      cursor.next();
      const inner = orExpr();
      cursor.expect(")");
      return inner;
    }
    const token = cursor.next();
    if (token.kind === "str") return () => token.value;
    if (token.kind === "field") return (row) => valuesOf(row, token.value)[0] ?? null;
    if (token.kind !== "word") throw new SplError(`Unexpected '${token.value}' in where.`);
    if (/^-?\d+(\.\d+)?$/.test(token.value)) return () => Number(token.value);
    if (!cursor.isPunct("(")) return (row) => valuesOf(row, token.value)[0] ?? null;
    const fn = FUNCTIONS[token.value];
    if (!fn) throw new SplError(`Unknown function '${token.value}'.`);
    cursor.next();
    const args: Expr[] = [];
    while (!cursor.isPunct(")")) {
      args.push(orExpr());
      if (cursor.isPunct(",")) cursor.next();
    }
    cursor.next();
    return (row) => fn(args.map((a) => a(row)));
  };
  const comparison = (): Expr => {
    if (cursor.isWord("NOT")) {
      cursor.next();
      const inner = comparison();
      return (row) => !inner(row);
    }
    const left = operand();
    const op = cursor.peek();
    if (op?.kind !== "op") return left;
    cursor.next();
    const right = operand();
    return (row) => compare(left(row), op.value, right(row));
  };
  const andExpr = (): Expr => {
    const parts = [comparison()];
    while (cursor.isWord("AND")) {
      cursor.next();
      parts.push(comparison());
    }
    // One part is a value (a function's argument), not yet a condition.
    return parts.length === 1 && parts[0] ? parts[0] : (row) => parts.every((p) => p(row) === true);
  };
  const orExpr = (): Expr => {
    const parts = [andExpr()];
    while (cursor.isWord("OR")) {
      cursor.next();
      parts.push(andExpr());
    }
    return parts.length === 1 && parts[0] ? parts[0] : (row) => parts.some((p) => p(row) === true);
  };
  const test = orExpr();
  if (!cursor.done()) throw new SplError(`Unexpected '${cursor.next().value}' in where.`);
  return (row) => test(row) === true;
}

/** Runs a search over the rows; the first command's time range applies (earliest inclusive, latest not). */
export function runSpl(
  spl: string,
  rows: FakeRow[],
  range: { earliest: number | undefined; latest: number | undefined },
): FakeRow[] {
  const tokens = tokenize(spl);
  const commands: Token[][] = [[]];
  for (const token of tokens)
    if (token.kind === "pipe") commands.push([]);
    else commands[commands.length - 1]?.push(token);
  let out: FakeRow[] | null = null;
  for (const [index, command] of commands.entries()) {
    const cursor = new Cursor(command);
    const name = cursor.done() ? "" : cursor.next().value;
    if (index === 0 && name === "" && commands.length > 1) continue; // a search starting with "|"
    // Events come newest first, as Splunk returns them.
    const input: FakeRow[] =
      out ??
      rows
        .filter((r) => r.time >= (range.earliest ?? -Infinity) && r.time < (range.latest ?? Infinity))
        .sort((a, b) => b.time - a.time);
    if (name === "search") out = input.filter(searchTest(cursor));
    else if (name === "where") out = input.filter(whereTest(cursor));
    else if (name === "makeresults") out = [{ time: Math.floor(Date.now() / 1000), fields: {} }];
    else if (name === "head") out = input.slice(0, Number(cursor.next().value));
    else if (name === "sort") {
      const count = /^\d+$/.test(cursor.peek()?.value ?? "") ? Number(cursor.next().value) : 0;
      const key = cursor.next().value;
      const descending = key.startsWith("-");
      const field = key.replace(/^[+-]/, "");
      if (field !== "_time") throw new SplError(`The fake sorts by _time only, not '${field}'.`);
      const sorted = [...input].sort((a, b) => (descending ? b.time - a.time : a.time - b.time));
      out = count > 0 ? sorted.slice(0, count) : sorted;
    } else throw new SplError(`Unknown search command '${name}'.`);
  }
  return out ?? [];
}
