/**
 * Runs the parsed KQL subset over in-memory tables, with Kusto's semantics where they matter to a test:
 * null never compares true, `=~`/`in~`/`contains`/`has`/`startswith` ignore case, `==` does not,
 * `between` is inclusive, datetimes compare as instants, unknown columns are errors.
 */
import { KqlSyntaxError } from "./kql-lexer.ts";
import { parseKql, type Assignment, type Expr } from "./kql-parser.ts";
import { asDate, asNumber, asText, equal, KqlDate, load, ordered, type KqlValue } from "./kql-values.ts";

export { KqlDate, type KqlValue };

export interface KqlTable {
  /** Column name → Kusto type (string, long, int, real, bool, datetime, dynamic, guid). */
  columns: Record<string, string>;
  rows: Array<Record<string, unknown>>;
}

export interface KqlResult {
  columns: Array<{ name: string; type: string }>;
  rows: Array<Record<string, KqlValue>>;
}

/** A query the service would refuse (unknown table or column): the fakes answer it with a 400. */
export class KqlSemanticError extends Error {
  override readonly name = "KqlSemanticError";
}

type Row = Record<string, KqlValue>;

const terms = (text: string) =>
  text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

function truthy(value: KqlValue): boolean {
  return value === true;
}

type Scope = (name: string) => KqlValue;

function evaluate(expr: Expr, scope: Scope): KqlValue {
  switch (expr.kind) {
    case "literal":
      if (expr.datetime) {
        const ms = Date.parse(String(expr.value));
        if (Number.isNaN(ms)) throw new KqlSyntaxError(`bad datetime ${String(expr.value)}`);
        return new KqlDate(ms);
      }
      return expr.value;
    case "column":
      return scope(expr.name);
    case "member": {
      let target = evaluate(expr.target, scope);
      if (typeof target === "string") {
        try {
          target = load(JSON.parse(target), "dynamic");
        } catch {
          return null;
        }
      }
      if (target === null || typeof target !== "object" || Array.isArray(target) || target instanceof KqlDate)
        return null;
      return load(target[expr.key], "dynamic");
    }
    case "between": {
      const value = evaluate(expr.left, scope);
      const low = ordered(value, evaluate(expr.low, scope));
      const high = ordered(value, evaluate(expr.high, scope));
      return low && high ? low[0] >= low[1] && high[0] <= high[1] : null;
    }
    case "in": {
      const value = evaluate(expr.left, scope);
      const fold = expr.op.endsWith("~");
      const key = (v: KqlValue) => (fold ? asText(v).toLowerCase() : asText(v));
      const found = value !== null && expr.list.some((e) => key(evaluate(e, scope)) === key(value));
      return expr.op.startsWith("!") ? !found : found;
    }
    case "binary":
      return binary(expr.op, expr.left, expr.right, scope);
    case "call":
      return call(expr.name, expr.args, scope);
  }
}

function binary(op: string, leftExpr: Expr, rightExpr: Expr, scope: Scope): KqlValue {
  if (op === "and") return truthy(evaluate(leftExpr, scope)) && truthy(evaluate(rightExpr, scope));
  if (op === "or") return truthy(evaluate(leftExpr, scope)) || truthy(evaluate(rightExpr, scope));
  const left = evaluate(leftExpr, scope);
  const right = evaluate(rightExpr, scope);
  const lower = (v: KqlValue) => asText(v).toLowerCase();
  switch (op) {
    case "==":
      return equal(left, right);
    case "!=": {
      const same = equal(left, right);
      return same === null ? null : !same;
    }
    case "=~":
      return lower(left) === lower(right);
    case "!~":
      return lower(left) !== lower(right);
    case "contains":
    case "!contains":
      return lower(left).includes(lower(right)) !== op.startsWith("!");
    case "startswith":
    case "!startswith":
      return lower(left).startsWith(lower(right)) !== op.startsWith("!");
    case "has":
    case "!has": {
      const needle = terms(asText(right)).join(" ");
      return ` ${terms(asText(left)).join(" ")} `.includes(` ${needle} `) !== op.startsWith("!");
    }
    default: {
      const pair = ordered(left, right);
      if (!pair) return null;
      const [a, b] = pair;
      return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b;
    }
  }
}

function call(name: string, args: Expr[], scope: Scope): KqlValue {
  if (name === "column_ifexists") {
    const column = args[0]?.kind === "literal" ? String(args[0].value) : "";
    try {
      return scope(column);
    } catch {
      return args[1] ? evaluate(args[1], scope) : null;
    }
  }
  const values = args.map((a) => evaluate(a, scope));
  const [a = null, b = null, c = null] = values;
  switch (name) {
    case "tostring":
      return asText(a);
    case "toint":
    case "tolong": {
      const n = asNumber(a);
      return n === null ? null : Math.trunc(n);
    }
    case "todouble":
    case "toreal":
    case "real":
      return asNumber(a);
    case "todatetime":
      return asDate(a);
    case "tolower":
      return asText(a).toLowerCase();
    case "toupper":
      return asText(a).toUpperCase();
    case "iff":
    case "iif":
      return truthy(a) ? b : c;
    case "not":
      return a === null ? null : !truthy(a);
    case "isempty":
      return asText(a) === "";
    case "isnotempty":
      return asText(a) !== "";
    case "isnull":
      return a === null;
    case "isnotnull":
      return a !== null;
    case "strcmp": {
      const x = asText(a);
      const y = asText(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case "strcat":
      return values.map(asText).join("");
    case "coalesce":
      return values.find((v) => v !== null && v !== "") ?? null;
    default:
      throw new KqlSemanticError(`unknown function ${name}`);
  }
}

function typeOf(values: KqlValue[], known: string | undefined): string {
  if (known) return known;
  const sample = values.find((v) => v !== null);
  if (sample instanceof KqlDate) return "datetime";
  if (typeof sample === "number") return Number.isInteger(sample) ? "long" : "real";
  if (typeof sample === "boolean") return "bool";
  if (sample !== undefined && typeof sample === "object") return "dynamic";
  return "string";
}

/** Parses and runs `text` over `tables`. */
export function runKql(text: string, tables: Readonly<Record<string, KqlTable>>): KqlResult {
  const query = parseKql(text);
  let columns: Record<string, string | undefined>;
  let rows: Row[];
  if (query.source.kind === "print") {
    columns = {};
    rows = [{}];
    query.stages.unshift({ kind: "extend", items: query.source.items });
  } else {
    const table = tables[query.source.name];
    if (!table) throw new KqlSemanticError(`Failed to resolve table expression named '${query.source.name}'`);
    columns = { ...table.columns };
    const types = table.columns;
    rows = table.rows.map((r) =>
      Object.fromEntries(Object.keys(types).map((name) => [name, load(r[name], types[name] ?? "string")])),
    );
  }
  const scopeOf =
    (row: Row): Scope =>
    (name) => {
      if (!(name in columns))
        throw new KqlSemanticError(`Failed to resolve scalar expression named '${name}'`);
      return row[name] ?? null;
    };
  const assign = (items: Assignment[], keep: boolean) => {
    const known = (item: Assignment) => (item.expr.kind === "column" ? columns[item.expr.name] : undefined);
    const computed = rows.map((row) => items.map((item) => evaluate(item.expr, scopeOf(row))));
    const next: Record<string, string | undefined> = keep ? { ...columns } : {};
    items.forEach((item, i) => {
      next[item.name] = typeOf(
        computed.map((values) => values[i] ?? null),
        known(item),
      );
    });
    rows = rows.map((row, r) => {
      const out: Row = keep ? { ...row } : {};
      items.forEach((item, i) => {
        out[item.name] = computed[r]?.[i] ?? null;
      });
      return out;
    });
    columns = next;
  };
  for (const stage of query.stages) {
    if (stage.kind === "where") rows = rows.filter((row) => truthy(evaluate(stage.expr, scopeOf(row))));
    else if (stage.kind === "project") assign(stage.items, false);
    else if (stage.kind === "extend") assign(stage.items, true);
    else if (stage.kind === "take") rows = rows.slice(0, stage.count);
    else {
      const keyed = rows.map((row) => ({ row, keys: stage.keys.map((k) => evaluate(k.expr, scopeOf(row))) }));
      keyed.sort((x, y) => {
        for (const [i, key] of stage.keys.entries()) {
          const a = x.keys[i] ?? null;
          const b = y.keys[i] ?? null;
          const pair = ordered(a, b);
          const order = pair ? pair[0] - pair[1] : asText(a).localeCompare(asText(b));
          if (order !== 0) return key.descending ? -order : order;
        }
        return 0;
      });
      rows = keyed.map((k) => k.row);
    }
  }
  return {
    columns: Object.entries(columns).map(([name, type]) => ({ name, type: type ?? "string" })),
    rows,
  };
}
