/**
 * Compact JSON at rest. Large tool output (a SIEM search returns up to hundreds of rows of repetitive
 * fields) deflates to a fraction of its size; small values stay plain JSON, readable in the database.
 * Lossless: unpacking gives back exactly the value that was packed.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";

/** JSON text longer than this is deflated; below it deflate's header and base64 would not pay off. */
export const PACK_THRESHOLD = 1024;

/** Marks packed text. JSON text never starts with a letter other than true/false/null, so never with it. */
const PACKED = "deflate:";

/** A value as deflated JSON bytes, for a binary column. */
export function deflateJson(value: unknown): Uint8Array {
  return deflateRawSync(JSON.stringify(value));
}

/** The value deflateJson packed. */
export function inflateJson(bytes: Uint8Array): unknown {
  return JSON.parse(inflateRawSync(bytes).toString("utf8"));
}

/** A value as text for a text column: its JSON, or above the threshold its deflated JSON in base64. */
export function packJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (text.length <= PACK_THRESHOLD) return text;
  return PACKED + deflateRawSync(text).toString("base64");
}

/** The value packJson packed; plain JSON (stored before packing, or small) reads as it is. */
export function unpackJson(text: string): unknown {
  return text.startsWith(PACKED)
    ? inflateJson(Buffer.from(text.slice(PACKED.length), "base64"))
    : JSON.parse(text);
}
