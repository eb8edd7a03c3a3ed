/**
 * The OData `$filter` subset the Defender fake understands: clauses joined by `and` (outside quotes), each
 * `field eq 'text'`, `field gt|ge|lt|le <datetime>` or `startswith(field,'text')`. Comparisons are
 * case-sensitive, as Defender's are over its lower-case names.
 */
import type { Doc } from "./seed.ts";

/** Splits an OData filter on `and` outside quoted strings. */
export function clauses(filter: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i] ?? "";
    if (c === "'") quoted = !quoted;
    if (!quoted && filter.slice(i, i + 5).toLowerCase() === " and ") {
      parts.push(current.trim());
      current = "";
      i += 4;
      continue;
    }
    current += c;
  }
  return [...parts, current.trim()].filter(Boolean);
}

const unquote = (literal: string) =>
  /^'.*'$/s.test(literal) ? literal.slice(1, -1).replace(/''/g, "'") : null;

/** One OData clause as a test of a document; null when the fake does not understand it (a 400). */
export function clauseTest(clause: string): ((doc: Doc) => boolean) | null {
  const starts = /^startswith\((\w+),\s*('.*')\)$/s.exec(clause);
  if (starts?.[1] && starts[2]) {
    const [field, prefix] = [starts[1], unquote(starts[2])];
    return prefix === null ? null : (doc) => String(doc[field] ?? "").startsWith(prefix);
  }
  const match = /^(\w+)\s+(eq|gt|ge|lt|le)\s+(.+)$/s.exec(clause);
  if (!match?.[1] || !match[2] || !match[3]) return null;
  const [field, op, literal] = [match[1], match[2], match[3]];
  const text = unquote(literal);
  if (op === "eq" && text !== null) return (doc) => doc[field] === text;
  const at = Date.parse(literal);
  if (Number.isNaN(at) || text !== null) return null;
  return (doc) => {
    const t = Date.parse(String(doc[field] ?? ""));
    return op === "gt"
      ? t > at
      : op === "ge"
        ? t >= at
        : op === "lt"
          ? t < at
          : op === "le"
            ? t <= at
            : t === at;
  };
}
