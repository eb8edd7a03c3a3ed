/**
 * Compact JSON at rest. Large tool output (a SIEM search returns up to hundreds of rows of repetitive
 * fields) deflates to a fraction of its size; small values stay plain JSON text, readable in the database.
 * Lossless: unpacking gives back exactly the value that was packed.
 *
 * Format v1 (written now): one format byte, then raw deflate with the preset dictionary of
 * memory/pack-dictionary.ts. Before it (migration 10): raw deflate, no dictionary, no format byte. The
 * format byte tells them apart: its bits 1-2 are a raw deflate block type of 3, which is reserved, so no
 * deflate stream starts with it. A later format takes another such byte (0x0e, 0x16…); v1 always reads.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { PACK_DICTIONARY_V1 } from "./pack-dictionary.ts";

/** JSON text longer than this is deflated; shorter, deflate saves too little to give up readable text. */
export const PACK_THRESHOLD = 256;

/** First byte of format v1 (0b110: block type 3, invalid as the start of a raw deflate stream). */
export const PACK_FORMAT_V1 = 0x06;

/** JSON text deflated in format v1. */
function deflateText(text: string): Uint8Array {
  const body = deflateRawSync(text, { dictionary: PACK_DICTIONARY_V1, level: 9 });
  const bytes = new Uint8Array(body.byteLength + 1);
  bytes[0] = PACK_FORMAT_V1;
  bytes.set(body, 1);
  return bytes;
}

/** A value as deflated JSON bytes, for a binary column. */
export function deflateJson(value: unknown): Uint8Array {
  return deflateText(JSON.stringify(value));
}

/** The value deflateJson packed, in format v1 or as raw deflate from before it. */
export function inflateJson(bytes: Uint8Array): unknown {
  const text =
    bytes[0] === PACK_FORMAT_V1
      ? inflateRawSync(bytes.subarray(1), { dictionary: PACK_DICTIONARY_V1 })
      : inflateRawSync(bytes);
  return JSON.parse(text.toString("utf8"));
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
  return packText(JSON.stringify(value));
}

/** packJson of a value already turned into its JSON `text`. */
export function packText(text: string): PackedJson {
  return text.length <= PACK_THRESHOLD ? { text, packed: null } : { text: "", packed: deflateText(text) };
}

/** The value packJson packed (rows stored before packing have no bytes and read as their text). */
export function unpackJson(stored: PackedJson): unknown {
  return stored.packed === null ? JSON.parse(stored.text) : inflateJson(stored.packed);
}
