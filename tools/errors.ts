/** Typed errors. Branch on `code`, never on message text. */

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
    super(message);
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
    super(message);
  }
}

export function isTriageError(error: unknown): error is TriageError {
  return error instanceof TriageError;
}

/** A one-line description of any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split("\n")[0] ?? error.name;
  return String(error).split("\n")[0] ?? "unknown error";
}
