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

/**
 * What is known about a tool failure beyond its code, as data: decided once where it happened (tools/http.ts
 * from the status, the network error or the vendor's error body) and never re-derived from the message.
 * A ToolError is itself a ToolErrorFacts, so a vendor that restates a failure passes the error along.
 */
export interface ToolErrorFacts {
  /** Whether trying the same call again may succeed (a throttle, a timeout, a 5xx); false when unset. */
  readonly retryable?: boolean | undefined;
  readonly vendor?: string | undefined;
  /** What was attempted, e.g. "GET /api/v3/files/abc". */
  readonly operation?: string | undefined;
  /** The HTTP status of the vendor's answer. */
  readonly status?: number | undefined;
  /** The vendor's own error text from its answer (redacted), or the HTTP reason phrase. */
  readonly vendorMessage?: string | undefined;
  /** The vendor's throttle hint: when to try again, in ms from when it answered. */
  readonly retryAfterMs?: number | undefined;
}

/** A failure of a tool port (lab or vendor). Its message is one line, safe to show to a user and a model. */
export class ToolError extends Error implements ToolErrorFacts {
  override readonly name = "ToolError";
  readonly retryable: boolean;
  readonly vendor: string | undefined;
  readonly operation: string | undefined;
  readonly status: number | undefined;
  readonly vendorMessage: string | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(
    readonly code: ToolErrorCode,
    message: string,
    facts: ToolErrorFacts = {},
  ) {
    // Messages reach users, models and case memory: never with a credential in them.
    super(redact(message));
    this.retryable = facts.retryable ?? false;
    this.vendor = facts.vendor;
    this.operation = facts.operation;
    this.status = facts.status;
    this.vendorMessage = facts.vendorMessage === undefined ? undefined : redact(facts.vendorMessage);
    this.retryAfterMs = facts.retryAfterMs;
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
