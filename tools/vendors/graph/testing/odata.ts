/**
 * The fake's reading of an OData `$filter`: `path op literal` clauses joined by `and`, string literals in
 * single quotes with '' for a quote, DateTimeOffset literals bare. Anything else is refused, as Graph
 * refuses what it cannot parse, so an adapter that splices a value raw fails here.
 */

export type Operator = "eq" | "ne" | "ge" | "le" | "gt" | "lt";

export interface Clause {
  path: string;
  op: Operator;
  value: { kind: "string"; text: string } | { kind: "date"; at: number } | { kind: "bool"; value: boolean };
}

export class FilterError extends Error {}

const OPERATORS: readonly Operator[] = ["eq", "ne", "ge", "le", "gt", "lt"];
const isOperator = (word: string): word is Operator => OPERATORS.some((op) => op === word);
const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$/;

export function parseFilter(text: string): Clause[] {
  const clauses: Clause[] = [];
  let i = 0;
  const word = (pattern: RegExp): string => {
    const match = pattern.exec(text.slice(i));
    if (!match) throw new FilterError(`syntax error at position ${i} in '${text}'`);
    i += match[0].length;
    return match[1] ?? match[0];
  };
  for (;;) {
    const path = word(/^([A-Za-z][A-Za-z0-9]*(\/[A-Za-z][A-Za-z0-9]*)*) /);
    const op = word(/^([a-z]+) /);
    if (!isOperator(op)) throw new FilterError(`unknown operator '${op}'`);
    let value: Clause["value"];
    if (text[i] === "'") {
      let literal = "";
      i++;
      for (;;) {
        if (i >= text.length) throw new FilterError("unterminated string literal");
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            literal += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        literal += text[i];
        i++;
      }
      value = { kind: "string", text: literal };
    } else {
      const bare = word(/^[^ ]+/);
      if (bare === "true" || bare === "false") value = { kind: "bool", value: bare === "true" };
      else if (DATE.test(bare)) value = { kind: "date", at: Date.parse(bare) };
      else throw new FilterError(`cannot read the literal '${bare}'`);
    }
    clauses.push({ path, op, value });
    if (i === text.length) return clauses;
    word(/^ and /);
  }
}

function valueAt(item: unknown, path: string): unknown {
  let current = item;
  for (const key of path.split("/")) {
    if (typeof current !== "object" || current === null) return undefined;
    current = Object.getOwnPropertyDescriptor(current, key)?.value;
  }
  return current;
}

function compare(op: Operator, order: number): boolean {
  switch (op) {
    case "eq":
      return order === 0;
    case "ne":
      return order !== 0;
    case "ge":
      return order >= 0;
    case "le":
      return order <= 0;
    case "gt":
      return order > 0;
    case "lt":
      return order < 0;
  }
}

/** Exchange and Entra compare strings without regard to case. */
export function matchesFilter(clauses: readonly Clause[], item: unknown): boolean {
  return clauses.every((clause) => {
    const actual = valueAt(item, clause.path);
    const { value } = clause;
    if (value.kind === "string") {
      if (typeof actual !== "string") return false;
      const a = actual.toLowerCase();
      const b = value.text.toLowerCase();
      return compare(clause.op, a === b ? 0 : a < b ? -1 : 1);
    }
    if (value.kind === "date") {
      if (typeof actual !== "string") return false;
      return compare(clause.op, Math.sign(Date.parse(actual) - value.at));
    }
    return compare(clause.op, actual === value.value ? 0 : 1);
  });
}
