/**
 * Elasticsearch documents are nested JSON (`{"user":{"name":…}}`), sometimes with dotted keys
 * (`{"kibana.alert.uuid":…}`, as 8.x alert documents write them), and any field may hold an array. Both
 * ports read them as flat ECS keys.
 */
import type { SiemEvent } from "../../../core/domain.ts";

export type Scalar = string | number | boolean;
/** Every value of every leaf, by its dotted key; arrays (of scalars or of objects) add one value each. */
export type FlatDocument = Map<string, Scalar[]>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function flattenDocument(source: unknown): FlatDocument {
  const out: FlatDocument = new Map();
  const visit = (value: unknown, key: string): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, key);
    } else if (isRecord(value)) {
      for (const [child, inner] of Object.entries(value)) visit(inner, key ? `${key}.${child}` : child);
    } else if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
      const list = out.get(key);
      if (list) list.push(value);
      else out.set(key, [value]);
    }
    // null and empty arrays add nothing: the field is absent, as a SIEM shows it.
  };
  visit(source, "");
  return out;
}

/**
 * SiemEvent fields hold one scalar per key: a single value stays as it is (so a one-element ECS array such
 * as event.category ["authentication"] reads "authentication"); several values are joined with ", " into one
 * string, so no value is lost to a reader, at the price of the number type.
 */
export function eventFields(flat: FlatDocument, omit: readonly string[] = []): SiemEvent["fields"] {
  const fields: SiemEvent["fields"] = {};
  for (const [key, values] of flat) {
    if (omit.includes(key)) continue;
    const [first] = values;
    if (first === undefined) continue;
    fields[key] = values.length === 1 ? first : values.map(String).join(", ");
  }
  return fields;
}

/** The first value of a key as a string, if any. */
export function firstString(flat: FlatDocument, key: string): string | undefined {
  const value = flat.get(key)?.[0];
  return value === undefined ? undefined : String(value);
}

/** Every value of a key as strings. */
export function allStrings(flat: FlatDocument, key: string): string[] {
  return (flat.get(key) ?? []).map(String);
}

/** An instant as UTC ISO 8601, from an ISO string or epoch milliseconds; undefined when unreadable. */
export function isoInstant(value: Scalar | undefined): string | undefined {
  if (value === undefined || typeof value === "boolean") return undefined;
  const ms = typeof value === "number" ? value : /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}
