/**
 * The fake's FQL: a parser and evaluator for the subset the adapter sends and an operator might write:
 * `field:'v'`, `field:['a','b']`, `field:>'2026-…'` (>, >=, <, <=), `field:!'v'`, numbers, `*` wildcards,
 * `+` (and), `,` (or) and parentheses. Strings unescape `\'` and `\\` as Falcon's do.
 */
export type FqlNode =
  | { kind: "and" | "or"; items: FqlNode[] }
  | { kind: "term"; field: string; op: "" | "!" | ">" | ">=" | "<" | "<="; values: Array<string | number> };

const OPERATORS = [">=", "<=", ">", "<", "!"] as const;

export function parseFql(source: string): FqlNode {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`invalid filter at ${at}: ${what}`);
  };
  const peek = () => source[at];
  const eat = (char: string) => (source[at] === char ? (at++, true) : false);

  function quoted(): string {
    if (!eat("'")) fail("expected a quote");
    let out = "";
    for (;;) {
      const c = source[at++];
      if (c === undefined) fail("unterminated string");
      if (c === "\\") {
        const next = source[at++];
        if (next === undefined) fail("dangling backslash");
        out += next;
      } else if (c === "'") return out;
      else out += c;
    }
  }

  function value(): string | number {
    if (peek() === "'") return quoted();
    const word = /^[A-Za-z0-9_.-]+/.exec(source.slice(at))?.[0] ?? fail("expected a value");
    at += word.length;
    return /^-?\d+(\.\d+)?$/.test(word) ? Number(word) : word;
  }

  function term(): FqlNode {
    const field = /^[a-z_][a-z0-9_.]*/.exec(source.slice(at))?.[0] ?? fail("expected a field");
    at += field.length;
    if (!eat(":")) fail("expected ':'");
    const op = OPERATORS.find((o) => source.startsWith(o, at)) ?? "";
    at += op.length;
    if (!eat("[")) return { kind: "term", field, op, values: [value()] };
    const values = [value()];
    while (eat(",")) values.push(value());
    if (!eat("]")) fail("expected ']'");
    return { kind: "term", field, op, values };
  }

  function atom(): FqlNode {
    if (!eat("(")) return term();
    const inner = or();
    if (!eat(")")) fail("expected ')'");
    return inner;
  }
  function and(): FqlNode {
    const items = [atom()];
    while (eat("+")) items.push(atom());
    return items.length === 1 ? items[0]! : { kind: "and", items };
  }
  function or(): FqlNode {
    const items = [and()];
    while (eat(",")) items.push(and());
    return items.length === 1 ? items[0]! : { kind: "or", items };
  }

  const node = or();
  if (at !== source.length) fail(`unexpected ${JSON.stringify(source.slice(at, at + 10))}`);
  return node;
}

function lookup(doc: unknown, path: string): unknown {
  let value = doc;
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = Object.getOwnPropertyDescriptor(value, key)?.value;
  }
  return value;
}

const isTime = (v: unknown): v is string => typeof v === "string" && /^\d{4}-\d\d-\d\dT/.test(v);

function compare(actual: unknown, wanted: string | number): number | null {
  if (isTime(actual) && isTime(wanted)) return Date.parse(actual) - Date.parse(wanted);
  if (typeof actual === "number" && typeof wanted === "number") return actual - wanted;
  return null;
}

function equals(actual: unknown, wanted: string | number): boolean {
  if (Array.isArray(actual)) return actual.some((a) => equals(a, wanted));
  if (typeof wanted === "number") return actual === wanted;
  if (typeof actual !== "string") return false;
  if (!wanted.includes("*")) return actual === wanted;
  const pattern = wanted.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${pattern}$`).test(actual);
}

export function matchesFql(node: FqlNode, doc: unknown): boolean {
  if (node.kind !== "term")
    return node.kind === "and"
      ? node.items.every((n) => matchesFql(n, doc))
      : node.items.some((n) => matchesFql(n, doc));
  const { op } = node;
  const actual = lookup(doc, node.field);
  const one = (wanted: string | number): boolean => {
    if (op === "") return equals(actual, wanted);
    if (op === "!") return !equals(actual, wanted);
    const diff = compare(actual, wanted);
    if (diff === null) return false;
    return op === ">" ? diff > 0 : op === ">=" ? diff >= 0 : op === "<" ? diff < 0 : diff <= 0;
  };
  return op === "!" ? node.values.every(one) : node.values.some(one);
}
