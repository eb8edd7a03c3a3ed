/**
 * The CLI's output layer: the only place that writes to stdout/stderr, so the last place secrets are
 * scrubbed and control characters escaped (renderers escape each untrusted value first, newlines included);
 * JSON is escaped by JSON.stringify.
 */
import { redact, redactValue } from "../core/redact.ts";
import { escapeControl } from "./terminal-text.ts";

export const EXIT = { ok: 0, internal: 1, badInput: 2, waiting: 3 } as const;

export function print(text: string): void {
  process.stdout.write(`${escapeControl(redact(text), { keepNewlines: true })}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(redactValue(value), null, 2)}\n`);
}

/** One line on stderr, never a stack trace. */
export function fail(code: number, message: string): number {
  process.stderr.write(`triage: ${escapeControl(redact(message))}\n`);
  return code;
}
