/**
 * Gmail API quirks: Google's `{error:{code,message,errors:[{reason}],status}}` bodies, throttling signalled
 * by 403 or 429 with a reason (rateLimitExceeded, userRateLimitExceeded: retried with backoff; a
 * dailyLimitExceeded cannot clear within any retry budget, so it gives up at once), and one client per
 * mailbox, each with that mailbox's own delegated token.
 */
import { z } from "zod";
import { createHttpClient, type Classification, type HttpAuth, type HttpClient } from "../../http.ts";
import type { VendorContext } from "../types.ts";

export const VENDOR = "gmail";

const googleErrorSchema = z.object({
  error: z.object({
    message: z.string().nullish(),
    errors: z.array(z.object({ reason: z.string().nullish() })).nullish(),
  }),
});

function googleError(body: string) {
  try {
    const parsed = googleErrorSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data.error : undefined;
  } catch {
    return undefined;
  }
}

const reasonOf = (body: string) => googleError(body)?.errors?.[0]?.reason ?? undefined;

/** "message (reason)" from a Google error body. */
export function gmailErrorText(body: string): string | undefined {
  const error = googleError(body);
  if (!error?.message) return undefined;
  const reason = error.errors?.[0]?.reason;
  return reason ? `${error.message} (${reason})` : error.message;
}

const THROTTLES = new Set(["rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded"]);

export function gmailClassify(status: number, body: string): Classification | undefined {
  // Google throttles with 403 as often as 429: either is worth waiting for.
  if ((status === 403 || status === 429) && THROTTLES.has(reasonOf(body) ?? ""))
    return { code: "RATE_LIMITED", retryable: true };
  // A malformed message id is answered 400 "Invalid id value": there is no such message.
  if (status === 400 && googleError(body)?.message === "Invalid id value")
    return { code: "NOT_FOUND", retryable: false };
  return undefined;
}

const DAY_MS = 86_400_000;
const PACIFIC_STANDARD_OFFSET_MS = 8 * 3_600_000;

/**
 * Daily quotas reset at midnight Pacific time: the wait until then (taken at standard time, so an hour long
 * in summer) is far past any retry budget, so the client fails at once, reporting when to try again.
 */
export function gmailRetryAfterMs(_response: Response, body: string, now: number): number | undefined {
  if (reasonOf(body) !== "dailyLimitExceeded") return undefined;
  return DAY_MS - ((now - PACIFIC_STANDARD_OFFSET_MS) % DAY_MS);
}

/** The API path of a mailbox. */
export const userPath = (mailbox: string) => `/gmail/v1/users/${encodeURIComponent(mailbox)}`;

export interface GmailClients {
  forMailbox(mailbox: string): HttpClient;
}

/** One HTTP client per mailbox (case-insensitively), each authenticated as that mailbox. */
export function gmailClients(
  baseUrl: string,
  authFor: (mailbox: string) => HttpAuth,
  context: VendorContext,
): GmailClients {
  const clients = new Map<string, HttpClient>();
  return {
    forMailbox(mailbox) {
      const key = mailbox.toLowerCase();
      let client = clients.get(key);
      if (!client) {
        client = createHttpClient({
          vendor: VENDOR,
          baseUrl: baseUrl.replace(/\/+$/, ""),
          auth: authFor(key),
          errorText: gmailErrorText,
          classify: gmailClassify,
          retryAfterMs: gmailRetryAfterMs,
          ...context.http,
        });
        clients.set(key, client);
      }
      return client;
    },
  };
}
