/** Values of the fake KQL engine and Kusto's rules for converting and comparing them. */

/** A datetime value (Kusto keeps 100 ns ticks; milliseconds are enough here). */
export class KqlDate {
  constructor(readonly ms: number) {}
}
export type KqlValue = string | number | boolean | null | KqlDate | Record<string, unknown> | unknown[];

export function load(value: unknown, type: string): KqlValue {
  if (value === undefined || value === null) return null;
  if (type === "datetime" && typeof value === "string") {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : new KqlDate(ms);
  }
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return value;
  if (typeof value === "object") return Object.fromEntries(Object.entries(value));
  return null;
}

export function asText(value: KqlValue): string {
  if (value === null) return "";
  if (value instanceof KqlDate) return new Date(value.ms).toISOString();
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function asNumber(value: KqlValue): number | null {
  if (typeof value === "number") return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
    return Number(value);
  return null;
}

export function asDate(value: KqlValue): KqlDate | null {
  if (value instanceof KqlDate) return value;
  if (typeof value === "string") {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : new KqlDate(ms);
  }
  return null;
}

/** Numbers or instants to compare; null when they cannot be ordered. */
export function ordered(a: KqlValue, b: KqlValue): [number, number] | null {
  if (a instanceof KqlDate || b instanceof KqlDate) {
    const da = asDate(a);
    const db = asDate(b);
    return da && db ? [da.ms, db.ms] : null;
  }
  return typeof a === "number" && typeof b === "number" ? [a, b] : null;
}

export function equal(a: KqlValue, b: KqlValue): boolean | null {
  if (a === null || b === null) return null;
  const pair = ordered(a, b);
  if (pair) return pair[0] === pair[1];
  return asText(a) === asText(b);
}
