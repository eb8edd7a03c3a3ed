/**
 * The one HTTP path every vendor adapter uses: auth headers, a timeout per attempt, retries with backoff
 * under a wall-clock budget (honouring the vendor's throttle hint), and the response parsed with zod.
 * Everything that goes wrong becomes a ToolError with a code; a user sees one line naming the vendor.
 */
import type { z } from "zod";
import { clip, ToolError, type ToolErrorCode, type ToolErrorFacts } from "../core/errors.ts";
import { redact, registerRequestSecrets } from "../core/redact.ts";

/** Headers that authenticate a request; `invalidate` drops a cached token after a 401. */
export interface HttpAuth {
  headers(signal?: AbortSignal): Promise<Record<string, string>>;
  invalidate?(): void;
}

export interface RetryOptions {
  /** Extra attempts after the first, for a failure whose ToolError is `retryable`. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Most time spent waiting between attempts; a throttle asking for longer fails at once instead. */
  budgetMs: number;
}

export const defaultRetry: RetryOptions = {
  retries: 3,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  budgetMs: 30_000,
};

/** What a vendor can say about a failed response beyond its status. */
export interface VendorQuirks {
  /** A throttle hint in ms (Retry-After, CrowdStrike's epoch reset…); undefined when none. */
  retryAfterMs?(response: Response, body: string, now: number): number | undefined;
  /**
   * A code and retryability other than the status's (classifyStatus), read from the error body: Gmail's 403
   * rateLimitExceeded and Splunk's 503 quota are throttles worth waiting for; undefined keeps the status's.
   */
  classify?(status: number, body: string): Classification | undefined;
  /** The vendor's own error text from an error body, for the one-line message. */
  errorText?(body: string): string | undefined;
}

export interface HttpClientOptions extends VendorQuirks {
  vendor: string;
  baseUrl: string;
  auth?: HttpAuth;
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
  fetch?: typeof fetch;
  /** Waits between attempts; tests pass one that records instead of sleeping. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface HttpRequest<T> {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Relative to baseUrl, or an absolute URL the vendor gave us (a nextLink) on the same origin. */
  path: string;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string | readonly string[] | undefined>;
  /** How to read a 2xx body: JSON (default), plain text, or one JSON value per line. */
  as?: "json" | "text" | "ndjson";
  schema: z.ZodType<T>;
  signal?: AbortSignal;
  /** Retry this request on failure; false for side effects that are not safe to repeat. */
  retry?: boolean;
}

export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  data: T;
}

export interface HttpClient {
  readonly vendor: string;
  readonly baseUrl: string;
  request<T>(request: HttpRequest<T>): Promise<HttpResponse<T>>;
  /** The parsed body only. */
  json<T>(request: HttpRequest<T>): Promise<T>;
}

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

function failureLine(vendor: string, operation: string, detail: string): string {
  return clip(`${vendor}: ${operation}: ${detail}`, 300);
}

/** Retry-After in seconds or as an HTTP date, in ms from now. */
export function retryAfterHeaderMs(response: Response, now: number): number | undefined {
  const value = response.headers.get("retry-after");
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Why a caller's signal stopped a request: its own deadline (AbortSignal.timeout) or a cancel. */
function stoppedBy(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof DOMException && reason.name === "TimeoutError"
    ? "the caller's time limit passed"
    : "cancelled";
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

function buildUrl(baseUrl: string, path: string, query: HttpRequest<unknown>["query"]): URL {
  const url = /^https?:\/\//.test(path) ? new URL(path) : new URL(baseUrl.replace(/\/+$/, "") + path);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) url.searchParams.append(key, v);
    else url.searchParams.set(key, String(value));
  }
  return url;
}

function formBody(form: NonNullable<HttpRequest<unknown>["form"]>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) {
    if (value === undefined) continue;
    if (typeof value === "string") params.append(key, value);
    else for (const v of value) params.append(key, v);
  }
  return params.toString();
}

function parseBody(text: string, as: "json" | "text" | "ndjson"): unknown {
  if (as === "text") return text;
  if (as === "ndjson") {
    return text
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as unknown);
  }
  return text.trim() ? (JSON.parse(text) as unknown) : null;
}

/** A client for one vendor's base URL. */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const retry = { ...defaultRetry, ...options.retry };
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? sleepFor;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const { vendor } = options;

  const fail = (code: ToolErrorCode, what: string, detail: string, facts: ToolErrorFacts = {}) =>
    new ToolError(code, failureLine(vendor, what, detail), { vendor, operation: what, ...facts });

  async function attempt<T>(
    request: HttpRequest<T>,
    url: URL,
    what: string,
  ): Promise<{ ok: HttpResponse<T> } | { error: ToolError; waitMs: number | undefined }> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const headers: Record<string, string> = {
      accept: "application/json",
      ...(options.auth ? await options.auth.headers(signal) : {}),
      ...request.headers,
    };
    // What authenticates this request is a secret from now on, wherever an echo of it turns up.
    registerRequestSecrets(headers, [
      ...Object.entries(request.form ?? {}).flatMap(([k, v]): Array<[string, string]> =>
        v === undefined
          ? []
          : typeof v === "string"
            ? [[k, v]]
            : v.map((item): [string, string] => [k, item]),
      ),
      ...url.searchParams,
    ]);
    let body: string | undefined;
    if (request.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(request.json);
    } else if (request.form !== undefined) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = formBody(request.form);
    }
    let response: Response;
    let text: string;
    try {
      response = await doFetch(url, {
        method: request.method ?? "GET",
        headers,
        signal,
        ...(body === undefined ? {} : { body }),
      });
      text = await response.text();
    } catch (error) {
      // A reset connection's reason can quote what the peer sent.
      if (request.signal?.aborted) throw fail("TIMEOUT", what, stoppedBy(request.signal));
      if (timeout.aborted)
        return {
          error: fail("TIMEOUT", what, `no answer within ${timeoutMs} ms`, { retryable: true }),
          waitMs: undefined,
        };
      const reason =
        error instanceof Error
          ? error.cause instanceof Error
            ? error.cause.message
            : error.message
          : String(error);
      return {
        error: fail("UPSTREAM_ERROR", what, `cannot reach ${url.origin} (${redact(reason)})`, {
          retryable: true,
        }),
        waitMs: undefined,
      };
    }
    if (response.ok) {
      let parsed: unknown;
      try {
        parsed = parseBody(text, request.as ?? "json");
      } catch {
        throw fail("BAD_RESPONSE", what, `the answer is not ${request.as === "ndjson" ? "NDJSON" : "JSON"}`);
      }
      const result = request.schema.safeParse(parsed);
      if (!result.success) {
        const issue = result.error.issues[0];
        throw fail(
          "BAD_RESPONSE",
          what,
          `unexpected answer at ${issue?.path.join(".") || "root"}: ${issue?.message ?? "invalid"}`,
        );
      }
      return { ok: { status: response.status, headers: response.headers, data: result.data } };
    }
    // A proxy or vendor that echoes the request puts our credentials in its error body: scrub it first.
    text = redact(text, { strict: true });
    const { code, retryable } = options.classify?.(response.status, text) ?? classifyStatus(response.status);
    const waitMs = options.retryAfterMs?.(response, text, now()) ?? retryAfterHeaderMs(response, now());
    const vendorText = options.errorText?.(text) ?? genericErrorText(text) ?? response.statusText;
    return {
      error: fail(code, what, `HTTP ${response.status} ${vendorText}`, {
        retryable,
        status: response.status,
        vendorMessage: clip(vendorText, 300),
        retryAfterMs: waitMs,
      }),
      waitMs,
    };
  }

  async function request<T>(request: HttpRequest<T>): Promise<HttpResponse<T>> {
    const url = buildUrl(options.baseUrl, request.path, request.query);
    const what = `${request.method ?? "GET"} ${url.pathname}`;
    // A next link comes from the vendor's answer: following one to another origin would hand it our token.
    if (url.origin !== new URL(options.baseUrl).origin) {
      throw fail("BAD_RESPONSE", what, `refused to follow a link to another origin (${url.origin})`);
    }
    let waited = 0;
    let refreshedAuth = false;
    for (let attemptNo = 0; ; attemptNo++) {
      const result = await attempt(request, url, what);
      if ("ok" in result) return result.ok;
      const { error } = result;
      // A cached token may have expired early or been revoked: fetch a new one once.
      if (error.code === "AUTH_FAILED" && options.auth?.invalidate && !refreshedAuth) {
        options.auth.invalidate();
        refreshedAuth = true;
        continue;
      }
      if (!error.retryable || request.retry === false || attemptNo >= retry.retries) throw error;
      const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attemptNo);
      const delay = Math.max(result.waitMs ?? 0, backoff * (0.75 + Math.random() * 0.5));
      if (waited + delay > retry.budgetMs) throw error;
      waited += delay;
      try {
        await sleep(Math.round(delay), request.signal);
      } catch {
        throw fail("TIMEOUT", what, request.signal ? stoppedBy(request.signal) : "cancelled");
      }
    }
  }

  return {
    vendor,
    baseUrl: options.baseUrl,
    request,
    json: async <T>(r: HttpRequest<T>) => (await request(r)).data,
  };
}

/** A NOT_FOUND as null: many ports answer "no such thing" with null rather than an error. */
export async function orNull<T>(promise: Promise<T>): Promise<T | null> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof ToolError && error.code === "NOT_FOUND") return null;
    throw error;
  }
}
