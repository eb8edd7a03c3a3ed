/**
 * What kind of field each filter names, from `_field_caps`. Both translators need it: a case-insensitive
 * term or wildcard fails on a long or ip field, and ES|QL refuses a query naming a column no index maps
 * ("Unknown column"). Kinds are cached per index pattern for a few minutes; mappings change rarely.
 */
import { z } from "zod";
import type { HttpClient } from "../../http.ts";

export type FieldKind = "string" | "number" | "ip" | "date" | "boolean" | "other";
/** A field's kind, or undefined when no index of the pattern maps it. */
export type FieldKinds = ReadonlyMap<string, FieldKind | undefined>;

const STRING_TYPES = new Set([
  "keyword",
  "constant_keyword",
  "wildcard",
  "text",
  "match_only_text",
  "version",
]);
const NUMBER_TYPES = new Set([
  "long",
  "integer",
  "short",
  "byte",
  "double",
  "float",
  "half_float",
  "scaled_float",
  "unsigned_long",
]);

function kindOfType(type: string): FieldKind {
  if (STRING_TYPES.has(type)) return "string";
  if (NUMBER_TYPES.has(type)) return "number";
  if (type === "ip") return "ip";
  if (type === "date" || type === "date_nanos") return "date";
  if (type === "boolean") return "boolean";
  return "other";
}

const fieldCapsSchema = z.object({
  fields: z.record(z.string(), z.record(z.string(), z.object({ type: z.string() }))),
});

const TTL_MS = 5 * 60_000;

export interface FieldCaps {
  kinds(index: string, fields: readonly string[], signal?: AbortSignal): Promise<FieldKinds>;
}

export function createFieldCaps(http: HttpClient, now: () => Date): FieldCaps {
  const cache = new Map<string, { kind: FieldKind | undefined; at: number }>();
  const key = (index: string, field: string) => `${index}\u0000${field}`;
  return {
    async kinds(index, fields, signal) {
      const at = now().getTime();
      const fresh = (field: string) => {
        const hit = cache.get(key(index, field));
        return hit !== undefined && at - hit.at < TTL_MS;
      };
      const missing = [...new Set(fields)].filter((f) => !fresh(f));
      if (missing.length > 0) {
        const caps = await http.json({
          path: `/${encodeURIComponent(index)}/_field_caps`,
          query: { fields: missing.join(","), ignore_unavailable: "true", allow_no_indices: "true" },
          schema: fieldCapsSchema,
          ...(signal ? { signal } : {}),
        });
        for (const field of missing) {
          const types = Object.keys(caps.fields[field] ?? {}).filter((t) => t !== "unmapped");
          const kinds = new Set(types.map(kindOfType));
          const [only] = kinds;
          // Conflicting types across indices (keyword here, long there) get the cautious "other".
          const kind = kinds.size === 0 ? undefined : kinds.size === 1 ? only : "other";
          cache.set(key(index, field), { kind, at });
        }
      }
      return new Map(fields.map((f) => [f, cache.get(key(index, f))?.kind]));
    },
  };
}
