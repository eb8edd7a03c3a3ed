/**
 * The fake's ES|QL: a real tokenizer (string escapes as the ES|QL lexer reads them, backtick identifiers)
 * and parser for `FROM … [METADATA _id] | WHERE … | SORT … | LIMIT n`, evaluated with ES|QL's null
 * semantics: a comparison with null or a multivalued field is null, and null rows are dropped. A literal
 * escaped wrongly by the adapter fails here the way it would on a cluster (parsing_exception), or changes
 * what matches, which the tests see.
 */
import { FakeEsError, valuesAt, type FakeDoc } from "./fake-dsl.ts";
import { parsing, tokenize } from "./fake-esql-lexer.ts";

type Value = string | number | boolean | null | { dt: number } | { ip: string } | Value[];

const verification = (reason: string) =>
  new FakeEsError(400, "verification_exception", `Found 1 problem\nline 1:1: ${reason}`);

type Expr = (row: ReadonlyMap<string, Value>) => Value;

export interface EsqlPlan {
  sources: string[];
  metadataId: boolean;
  where: Expr[];
  sort: { column: string; desc: boolean } | null;
  limit: number;
  /** Every column a WHERE or SORT names, checked against the mapping. */
  columns: Set<string>;
}

const scalarOf = (v: Value): Value => (Array.isArray(v) ? (v.length === 1 ? (v[0] ?? null) : null) : v);

function typeName(v: Value): string {
  if (typeof v === "object" && v !== null && "dt" in v) return "datetime";
  if (typeof v === "object" && v !== null && "ip" in v) return "ip";
  return typeof v === "string" ? "keyword" : typeof v === "number" ? "long" : typeof v;
}

function compareValues(a: Value, b: Value, op: string): Value {
  const [x, y] = [scalarOf(a), scalarOf(b)];
  if (x === null || y === null) return null;
  if (typeName(x) !== typeName(y))
    throw verification(
      `first argument of [${op}] is [${typeName(x)}] so second argument must also be [${typeName(x)}] but was [${typeName(y)}]`,
    );
  const key = (v: Value) =>
    typeof v === "object" && v !== null && "dt" in v
      ? v.dt
      : typeof v === "object" && v !== null && "ip" in v
        ? v.ip
        : v;
  const [p, q] = [key(x), key(y)];
  if (p === null || q === null || typeof p === "object" || typeof q === "object") return null;
  const order = p < q ? -1 : p > q ? 1 : 0;
  return (
    {
      "==": order === 0,
      "!=": order !== 0,
      "<": order < 0,
      "<=": order <= 0,
      ">": order > 0,
      ">=": order >= 0,
    }[op] ?? null
  );
}

function likeRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? "";
    const lit = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    if (c === "\\") source += lit(pattern[++i] ?? "");
    else source += c === "*" ? "[\\s\\S]*" : c === "?" ? "[\\s\\S]" : lit(c);
  }
  return new RegExp(`^${source}$`);
}

const FUNCTIONS: Record<string, (v: Value) => Value> = {
  to_lower: (v) => {
    const x = scalarOf(v);
    if (x === null) return null;
    if (typeof x !== "string")
      throw verification(`argument of [TO_LOWER] must be [keyword or text], found [${typeName(x)}]`);
    return x.toLowerCase();
  },
  to_string: (v) => {
    const x = scalarOf(v);
    if (x === null || typeof x !== "object") return x === null ? null : String(x);
    return "dt" in x ? new Date(x.dt).toISOString() : "ip" in x ? x.ip : null;
  },
  to_datetime: (v) => {
    const x = scalarOf(v);
    const ms = typeof x === "number" ? x : typeof x === "string" ? Date.parse(x) : NaN;
    return Number.isNaN(ms) ? null : { dt: ms };
  },
  to_ip: (v) => {
    const x = scalarOf(v);
    return typeof x === "string" ? { ip: x.toLowerCase() } : null;
  },
};

/** Parses a query into a plan; throws parsing_exception where ES|QL would. */
export function parseEsql(text: string): EsqlPlan {
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at];
  const word = (w: string) => {
    const t = peek();
    return t?.t === "id" && t.v.toLowerCase() === w;
  };
  const next = () => {
    const t = tokens[at++];
    if (!t) throw parsing("mismatched input '<EOF>'");
    return t;
  };
  const expect = (v: string) => {
    const t = next();
    if (t.v.toLowerCase() !== v) throw parsing(`mismatched input '${t.v}' expecting '${v}'`);
  };
  const columns = new Set<string>();

  const value = (): Expr => {
    const t = next();
    if (t.t === "str") return () => t.v;
    if (t.t === "num") return () => Number(t.v);
    if (t.t === "op" && t.v === "(") {
      const inner = expr();
      expect(")");
      return inner;
    }
    if (t.t === "id" && ["true", "false", "null"].includes(t.v.toLowerCase()))
      return () => (t.v.toLowerCase() === "null" ? null : t.v.toLowerCase() === "true");
    if (t.t === "id" && peek()?.v === "(") {
      const fn = FUNCTIONS[t.v.toLowerCase()];
      if (!fn) throw verification(`Unknown function [${t.v}]`);
      next();
      const arg = expr();
      expect(")");
      return (row) => fn(arg(row));
    }
    if (t.t === "id" || t.t === "qid") {
      columns.add(t.v);
      return (row) => row.get(t.v) ?? null;
    }
    throw parsing(`extraneous input '${t.v}'`);
  };

  const predicate = (): Expr => {
    const left = value();
    const t = peek();
    if (t?.t === "op" && ["==", "!=", "<", "<=", ">", ">="].includes(t.v)) {
      next();
      const right = value();
      return (row) => compareValues(left(row), right(row), t.v);
    }
    const negated = word("not");
    if (negated) next();
    if (word("in")) {
      next();
      expect("(");
      const options: Expr[] = [value()];
      while (peek()?.v === ",") {
        next();
        options.push(value());
      }
      expect(")");
      return (row) => {
        const found = options.some((o) => compareValues(left(row), o(row), "==") === true);
        return scalarOf(left(row)) === null ? null : negated ? !found : found;
      };
    }
    if (word("like")) {
      next();
      const pattern = next();
      if (pattern.t !== "str") throw parsing("LIKE needs a string pattern");
      const re = likeRegExp(pattern.v);
      return (row) => {
        const x = scalarOf(left(row));
        return x === null ? null : typeof x === "string" ? re.test(x) !== negated : null;
      };
    }
    if (negated) throw parsing("mismatched input 'not'");
    if (word("is")) {
      next();
      const not = word("not");
      if (not) next();
      expect("null");
      return (row) => (left(row) === null) !== not;
    }
    return left;
  };

  const not = (): Expr => {
    if (!word("not")) return predicate();
    next();
    const inner = not();
    return (row) => {
      const v = inner(row);
      return v === null ? null : !v;
    };
  };
  const and = (): Expr => {
    let left = not();
    while (word("and")) {
      next();
      const [l, r] = [left, not()];
      left = (row) => {
        const [a, b] = [l(row), r(row)];
        return a === false || b === false ? false : a === null || b === null ? null : true;
      };
    }
    return left;
  };
  const expr = (): Expr => {
    let left = and();
    while (word("or")) {
      next();
      const [l, r] = [left, and()];
      left = (row) => {
        const [a, b] = [l(row), r(row)];
        return a === true || b === true ? true : a === null || b === null ? null : false;
      };
    }
    return left;
  };

  if (!word("from")) throw parsing("query must start with FROM");
  next();
  const sources = next().v.split(",");
  let metadataId = false;
  if (word("metadata")) {
    next();
    metadataId = next().v === "_id";
  }
  const plan: EsqlPlan = { sources, metadataId, where: [], sort: null, limit: 1000, columns };
  while (peek()) {
    expect("|");
    const command = next().v.toLowerCase();
    if (command === "where") plan.where.push(expr());
    else if (command === "sort") {
      const column = next();
      columns.add(column.v);
      const desc = word("desc");
      if (word("asc") || desc) next();
      plan.sort = { column: column.v, desc };
    } else if (command === "limit") plan.limit = Number(next().v);
    else throw parsing(`unknown command [${command}]`);
  }
  return plan;
}

/** Runs a plan over documents whose mapping is given; answers ES|QL's columns/values shape. */
export function runEsql(plan: EsqlPlan, docs: readonly FakeDoc[], mapping: ReadonlyMap<string, string>) {
  for (const column of plan.columns)
    if (!mapping.has(column) && !(column === "_id" && plan.metadataId))
      throw verification(`Unknown column [${column}]`);
  const names = [...mapping.keys()].sort();
  const typed = (field: string, v: string | number | boolean): Value =>
    mapping.get(field) === "date"
      ? { dt: Date.parse(String(v)) }
      : mapping.get(field) === "ip"
        ? { ip: String(v) }
        : v;
  const rows = docs.map((doc) => {
    const row = new Map<string, Value>();
    for (const name of names) {
      const values = valuesAt(doc._source, name).map((v) => typed(name, v));
      row.set(name, values.length === 0 ? null : values.length === 1 ? (values[0] ?? null) : values);
    }
    if (plan.metadataId) row.set("_id", doc._id);
    return row;
  });
  let kept = rows.filter((row) => plan.where.every((w) => w(row) === true));
  if (plan.sort) {
    const { column, desc } = plan.sort;
    const key = (row: ReadonlyMap<string, Value>) => {
      const v = scalarOf(row.get(column) ?? null);
      return typeof v === "object" && v !== null ? ("dt" in v ? v.dt : "ip" in v ? v.ip : 0) : v;
    };
    kept = [...kept].sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      const order = x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1;
      return desc ? -order : order;
    });
  }
  kept = kept.slice(0, plan.limit);
  const out = (v: Value): unknown =>
    Array.isArray(v)
      ? v.map(out)
      : typeof v === "object" && v !== null
        ? "dt" in v
          ? new Date(v.dt).toISOString()
          : v.ip
        : v;
  const columns = [...(plan.metadataId ? ["_id"] : []), ...names];
  const typeOf = (name: string) =>
    name === "_id" ? "keyword" : mapping.get(name) === "long" ? "long" : (mapping.get(name) ?? "keyword");
  return {
    columns: columns.map((name) => ({ name, type: typeOf(name) })),
    values: kept.map((row) => columns.map((name) => out(row.get(name) ?? null))),
  };
}
