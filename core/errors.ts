/** Typed errors. Branch on `code`, never on message text. */
import { redact } from "./redact.ts";

export type ToolErrorCode =
  | "AUTH_FAILED"
  | "FORBIDDEN"
  | "RATE_LIMITED"
  | "TIMEOUT"
  | "NOT_FOUND"
  | "BAD_INPUT"
  | "BAD_RESPONSE"
  | "UNSUPPORTED"
  | "UPSTREAM_ERROR";

/** A failure of a tool port (lab or vendor). Its message is one line, safe to show to a user and a model. */
export class ToolError extends Error {
  override readonly name = "ToolError";
  constructor(
    readonly code: ToolErrorCode,
    message: string,
    readonly details: { vendor?: string; status?: number; retryAfterMs?: number } = {},
  ) {
    // Messages reach users, models and case memory: never with a credential in them.
    super(redact(message));
  }
}

export function isToolError(error: unknown): error is ToolError {
  return error instanceof ToolError;
}

export type TriageErrorCode =
  "BAD_INPUT" | "NOT_FOUND" | "BAD_POLICY" | "BAD_DATABASE" | "CONFLICT" | "INTERNAL";

/**
 * A failure the CLI reports as one line. BAD_INPUT, NOT_FOUND, BAD_POLICY and BAD_DATABASE are the user's
 * to fix (exit 2); INTERNAL is ours (exit 1).
 */
export class TriageError extends Error {
  override readonly name = "TriageError";
  constructor(
    readonly code: TriageErrorCode,
    message: string,
  ) {
    super(redact(message));
  }
}

export function isTriageError(error: unknown): error is TriageError {
  return error instanceof TriageError;
}

/** A one-line description of any thrown value. */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line =
    text.split("\n").find((l) => l.trim()) ?? (error instanceof Error ? error.name : "unknown error");
  return redact(line);
}

/** At most `max` characters on one line, for notes that quote an outside party's error. */
export function clip(text: string, max = 200): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
