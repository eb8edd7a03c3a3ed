/**
 * Compact JSON at rest. Large tool output (a SIEM search returns up to hundreds of rows of repetitive
 * fields) deflates to a fraction of its size; small values stay plain JSON text, readable in the database.
 * Lossless: unpacking gives back exactly the value that was packed.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";

/** JSON text longer than this is deflated; shorter, deflate saves too little to give up readable text. */
export const PACK_THRESHOLD = 256;

/** A value as deflated JSON bytes, for a binary column. */
export function deflateJson(value: unknown): Uint8Array {
  return deflateRawSync(JSON.stringify(value));
}

/** The value deflateJson packed. */
export function inflateJson(bytes: Uint8Array): unknown {
  return JSON.parse(inflateRawSync(bytes).toString("utf8"));
}

/**
 * A value for a text column with a binary one beside it: small, its JSON text and no bytes; above the
 * threshold, empty text and its deflated JSON.
 */
export interface PackedJson {
  text: string;
  packed: Uint8Array | null;
}

export function packJson(value: unknown): PackedJson {
  const text = JSON.stringify(value);
  return text.length <= PACK_THRESHOLD ? { text, packed: null } : { text: "", packed: deflateRawSync(text) };
}

/** The value packJson packed (rows stored before packing have no bytes and read as their text). */
export function unpackJson(stored: PackedJson): unknown {
  return stored.packed === null ? JSON.parse(stored.text) : inflateJson(stored.packed);
}
