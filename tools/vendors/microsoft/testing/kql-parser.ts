/**
 * A parser for the KQL subset our adapters send: a table (or `print`) piped through where, project,
 * extend, sort/order by, take/limit; expressions with and/or, comparisons (==, !=, =~, !~, <, <=, >, >=),
 * word operators (contains, has, startswith, in, in~ and their negations), between, member access and
 * function calls. Anything else is a syntax error, as a stricter-than-real service should answer.
 */
import { KqlSyntaxError, tokenize, type Token } from "./kql-lexer.ts";

export type Expr =
  | { kind: "literal"; value: string | number | boolean | null; datetime?: true }
  | { kind: "column"; name: string }
  | { kind: "member"; target: Expr; key: string }
  | { kind: "call"; name: string; args: Expr[] }
  | { kind: "binary"; op: string; left: Expr; right: Expr }
  | { kind: "in"; op: string; left: Expr; list: Expr[] }
  | { kind: "between"; left: Expr; low: Expr; high: Expr };

export interface Assignment {
  name: string;
  expr: Expr;
}

export type Stage =
  | { kind: "where"; expr: Expr }
  | { kind: "project"; items: Assignment[] }
  | { kind: "extend"; items: Assignment[] }
  | { kind: "sort"; keys: Array<{ expr: Expr; descending: boolean }> }
  | { kind: "take"; count: number };

export interface KqlQuery {
  source: { kind: "table"; name: string } | { kind: "print"; items: Assignment[] };
  stages: Stage[];
}

const COMPARISONS = new Set(["==", "!=", "=~", "!~", "<", "<=", ">", ">="]);
const WORD_OPERATORS = new Set(["contains", "has", "startswith", "!contains", "!has", "!startswith"]);
const LIST_OPERATORS = new Set(["in", "in~", "!in", "!in~"]);

export function parseKql(text: string): KqlQuery {
  const tokens = tokenize(text);
  let at = 0;
  const peek = (): Token => tokens[at] ?? { kind: "end" };
  const next = (): Token => tokens[at++] ?? { kind: "end" };
  const isOp = (t: Token, op: string) => t.kind === "op" && t.text === op;
  const isWord = (t: Token, word: string) => t.kind === "name" && !t.quoted && t.text === word;
  const expectOp = (op: string) => {
    if (!isOp(next(), op)) throw new KqlSyntaxError(`expected ${op}`);
  };
  const expectName = (): string => {
    const t = next();
    if (t.kind !== "name") throw new KqlSyntaxError("expected a name");
    return t.text;
  };

  function primary(): Expr {
    const t = next();
    if (t.kind === "string") return { kind: "literal", value: t.value };
    if (t.kind === "number") return { kind: "literal", value: t.value };
    if (t.kind === "datetime") return { kind: "literal", value: t.text, datetime: true };
    if (isOp(t, "(")) {
      const inner = expression();
      expectOp(")");
      return inner;
    }
    if (t.kind !== "name") throw new KqlSyntaxError("expected a value");
    if (!t.quoted && (t.text === "true" || t.text === "false"))
      return { kind: "literal", value: t.text === "true" };
    if (!t.quoted && isOp(peek(), "(")) {
      next();
      const args: Expr[] = [];
      if (!isOp(peek(), ")")) {
        do args.push(expression());
        while (isOp(peek(), ",") && next());
      }
      expectOp(")");
      return { kind: "call", name: t.text, args };
    }
    let expr: Expr = { kind: "column", name: t.text };
    while (isOp(peek(), ".")) {
      next();
      expr = { kind: "member", target: expr, key: expectName() };
    }
    return expr;
  }

  function comparison(): Expr {
    const left = primary();
    const t = peek();
    const op = t.kind === "op" ? t.text : t.kind === "name" && !t.quoted ? t.text : "";
    if (COMPARISONS.has(op) || WORD_OPERATORS.has(op)) {
      next();
      return { kind: "binary", op, left, right: primary() };
    }
    if (LIST_OPERATORS.has(op)) {
      next();
      expectOp("(");
      const list: Expr[] = [];
      do list.push(primary());
      while (isOp(peek(), ",") && next());
      expectOp(")");
      return { kind: "in", op, left, list };
    }
    if (op === "between") {
      next();
      expectOp("(");
      const low = primary();
      expectOp("..");
      const high = primary();
      expectOp(")");
      return { kind: "between", left, low, high };
    }
    return left;
  }

  function conjunction(): Expr {
    let left = comparison();
    while (isWord(peek(), "and")) {
      next();
      left = { kind: "binary", op: "and", left, right: comparison() };
    }
    return left;
  }

  function expression(): Expr {
    let left = conjunction();
    while (isWord(peek(), "or")) {
      next();
      left = { kind: "binary", op: "or", left, right: conjunction() };
    }
    return left;
  }

  function assignments(): Assignment[] {
    const items: Assignment[] = [];
    do {
      const start = at;
      const first = next();
      if (first.kind === "name" && isOp(peek(), "=")) {
        next();
        items.push({ name: first.text, expr: expression() });
      } else {
        at = start;
        const expr = expression();
        items.push({ name: expr.kind === "column" ? expr.name : `Column${items.length + 1}`, expr });
      }
    } while (isOp(peek(), ",") && next());
    return items;
  }

  function stage(): Stage {
    const word = expectName();
    if (word === "where") return { kind: "where", expr: expression() };
    if (word === "project") return { kind: "project", items: assignments() };
    if (word === "extend") return { kind: "extend", items: assignments() };
    if (word === "take" || word === "limit") {
      const t = next();
      if (t.kind !== "number") throw new KqlSyntaxError("take needs a number");
      return { kind: "take", count: t.value };
    }
    if (word === "sort" || word === "order") {
      if (!isWord(next(), "by")) throw new KqlSyntaxError("expected by");
      const keys: Array<{ expr: Expr; descending: boolean }> = [];
      do {
        const expr = expression();
        const direction = peek();
        const descending = !isWord(direction, "asc");
        if (isWord(direction, "asc") || isWord(direction, "desc")) next();
        keys.push({ expr, descending });
      } while (isOp(peek(), ",") && next());
      return { kind: "sort", keys };
    }
    throw new KqlSyntaxError(`unknown operator ${word}`);
  }

  const head = next();
  if (head.kind !== "name") throw new KqlSyntaxError("expected a table");
  const source: KqlQuery["source"] =
    !head.quoted && head.text === "print"
      ? { kind: "print", items: assignments() }
      : { kind: "table", name: head.text };
  const stages: Stage[] = [];
  while (isOp(peek(), "|")) {
    next();
    stages.push(stage());
  }
  if (peek().kind !== "end") throw new KqlSyntaxError("unexpected text after the query");
  return { source, stages };
}
