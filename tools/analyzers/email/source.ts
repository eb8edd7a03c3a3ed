/**
 * A message's source, bounded before the MIME parser sees it: at most `LIMITS.messageBytes`, a header block
 * of at most `LIMITS.headerBytes`, no data: URL over `LIMITS.dataUrlChars`. `triage email` serves the
 * playbook this bounded source rather than the file (a 20 MB message in every checkpoint took 20 s and
 * 170 MB of case database), with a first line that carries the notes of what was cut, so the findings
 * survive the trip.
 */
import { z } from "zod";
import { LIMITS, stripDataUrls } from "./bounds.ts";

export const MAX_MESSAGE_BYTES = LIMITS.messageBytes;
const MAX_HEADER_BYTES = LIMITS.headerBytes;

/** Keeps header lines until the block reaches the bound; the body is untouched. */
function boundHeaders(source: string): string {
  const end = source.search(/\r?\n\r?\n/);
  const headEnd = end < 0 ? source.length : end;
  if (headEnd <= MAX_HEADER_BYTES) return source;
  const head = source.slice(0, MAX_HEADER_BYTES);
  const lastLine = head.lastIndexOf("\n");
  return `${head.slice(0, lastLine > 0 ? lastLine : MAX_HEADER_BYTES)}${source.slice(headEnd)}`;
}

/** From, To, Subject and the first 100 kB of body as plain text: what is left when MIME parsing fails. */
export function minimalMessage(source: string): string {
  const end = source.search(/\r?\n\r?\n/);
  const head = end < 0 ? source : source.slice(0, end);
  const keep = head.split(/\r?\n/).filter((l) => /^(from|to|subject|reply-to|message-id):/i.test(l));
  const body = end < 0 ? "" : source.slice(end).slice(0, 100_000);
  return `${keep.join("\r\n")}\r\nContent-Type: text/plain\r\n${body}`;
}

/**
 * The marker line. Only ever the first line, which a delivered message's own headers never are (transport
 * headers come first); a forged one can only add "parsing was bounded" findings, which raise suspicion.
 */
const MARKER = "X-Soc-Triage-Bounded: ";
const markerSchema = z.array(z.string().max(300)).max(20);

function readMarker(raw: string): { source: string; notes: string[] } {
  if (!raw.startsWith(MARKER)) return { source: raw, notes: [] };
  const end = raw.indexOf("\n");
  const line = raw.slice(MARKER.length, end < 0 ? raw.length : end).trim();
  let json: unknown = null;
  try {
    json = JSON.parse(line);
  } catch {
    // not ours: the notes are dropped, the line with them
  }
  const parsed = markerSchema.safeParse(json);
  return { source: end < 0 ? "" : raw.slice(end + 1), notes: parsed.success ? parsed.data : [] };
}

/** The bounded source and the notes of every bound it hit (those of an earlier pass included). */
export function boundSource(raw: string, cut?: string | null): { source: string; notes: string[] } {
  const { source: unmarked, notes } = readMarker(raw);
  if (cut) notes.push(cut);
  let source = unmarked;
  if (source.length > MAX_MESSAGE_BYTES) {
    notes.push(`message cut to ${MAX_MESSAGE_BYTES} bytes of ${source.length}`);
    source = source.slice(0, MAX_MESSAGE_BYTES);
  }
  const bounded = boundHeaders(source);
  if (bounded !== source) notes.push(`header block cut to ${MAX_HEADER_BYTES} bytes`);
  // Huge inline data: URLs go before parsing; base64-encoded HTML is stripped again after it.
  const stripped = stripDataUrls(bounded);
  if (stripped.note) notes.push(stripped.note);
  return { source: stripped.value, notes };
}

/** The source to serve for `raw`: bounded, with the marker line when a bound was hit. */
export function servedSource(raw: string, cut?: string | null): string {
  const { source, notes } = boundSource(raw, cut);
  return notes.length ? `${MARKER}${JSON.stringify(notes)}\r\n${source}` : source;
}
