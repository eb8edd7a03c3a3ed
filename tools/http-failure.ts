/**
 * What a failed vendor call means, decided once where the answer arrives: the code and retryability of a
 * status or an error body, the vendor's own error text, and the one-line message built from those facts.
 * Code above the client reads the facts (ToolError's fields) and never parses the message.
 */
import { clip, ToolError, type ToolErrorCode, type ToolErrorFacts } from "../core/errors.ts";

/** What a failed answer means: its code, and whether the same request may succeed later. */
export interface Classification {
  code: ToolErrorCode;
  retryable: boolean;
}

/** The default meaning of an HTTP status. Retryability is decided here, once: 408, 409, 429 and 5xx. */
export function classifyStatus(status: number): Classification {
  const fixed = (code: ToolErrorCode): Classification => ({ code, retryable: false });
  if (status === 401) return fixed("AUTH_FAILED");
  if (status === 403) return fixed("FORBIDDEN");
  if (status === 404 || status === 410) return fixed("NOT_FOUND");
  if (status === 408) return { code: "TIMEOUT", retryable: true };
  if (status === 429) return { code: "RATE_LIMITED", retryable: true };
  if (status === 409 || status >= 500) return { code: "UPSTREAM_ERROR", retryable: true };
  return fixed("BAD_INPUT");
}

/** The vendor's answer to a failed request as one phrase ("HTTP 403 Forbidden"), or the message when there was none. */
export function answerOf(error: ToolError): string {
  if (error.status === undefined) return error.message;
  return `HTTP ${error.status} ${error.vendorMessage ?? ""}`.trim();
}

/**
 * A vendor's failure restated under another code, the HTTP status replaced by `verdict`
 * ("vendor: POST /oauth2/token: token refused: invalid_client"). A failure without an HTTP answer keeps its message.
 */
export function restate(error: ToolError, code: ToolErrorCode, verdict: string): ToolError {
  const facts: ToolErrorFacts = { ...factsOf(error), retryable: false };
  if (error.status === undefined || error.vendor === undefined || error.operation === undefined)
    return new ToolError(code, error.message, facts);
  const said = error.vendorMessage ? `${verdict}: ${error.vendorMessage}` : verdict;
  return new ToolError(code, failureLine(error.vendor, error.operation, said), facts);
}

/** A ToolError's facts, to carry into one that restates it. */
function factsOf(error: ToolError): ToolErrorFacts {
  const { retryable, vendor, operation, status, vendorMessage, retryAfterMs } = error;
  return { retryable, vendor, operation, status, vendorMessage, retryAfterMs };
}

/** The one line of a vendor failure: "vendor: GET /path: what happened". */
export function failureLine(vendor: string, operation: string, detail: string): string {
  return clip(`${vendor}: ${operation}: ${detail}`, 300);
}

/** Common error-body shapes: {error:{message}}, {error:"x",error_description}, {message}, {errors:[{message|detail}]}. */
export function genericErrorText(body: string): string | undefined {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return body && !body.trimStart().startsWith("<") ? body : undefined;
  }
  const pick = (value: unknown, key: string): unknown =>
    typeof value === "object" && value !== null
      ? Object.getOwnPropertyDescriptor(value, key)?.value
      : undefined;
  const text = (value: unknown) => (typeof value === "string" && value ? value : undefined);
  const error = pick(data, "error");
  const firstOf = (list: unknown) => (Array.isArray(list) ? list[0] : undefined);
  return (
    text(pick(error, "message")) ??
    text(pick(data, "error_description")) ??
    // Kibana sends {"error":"Bad Request","message":"…"}: the message is the useful part.
    text(pick(data, "message")) ??
    text(error) ??
    text(pick(firstOf(pick(data, "errors")), "message")) ??
    text(pick(firstOf(pick(data, "errors")), "detail")) ??
    text(pick(firstOf(pick(data, "messages")), "text"))
  );
}
