/**
 * Polls an asynchronous vendor job (a Splunk search job, a Defender machine action, a CrowdStrike
 * containment) until it settles or a deadline passes. The wait between polls grows, and goes through the
 * vendor context's sleep, so tests run without real delays.
 */
import { ToolError } from "../../core/errors.ts";

export interface PollOptions {
  vendor: string;
  /** What is awaited, for the timeout message: "search job 1704067200.12345". */
  what: string;
  /** Most time to wait in all. */
  timeoutMs: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `check` until it returns a value other than undefined. Throws TIMEOUT when the total wait would pass
 * the timeout; errors from `check` propagate (a failed job is the caller's to describe).
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const sleep = options.sleep ?? realSleep;
  let waited = 0;
  let delay = options.firstDelayMs ?? 500;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (options.signal?.aborted)
      throw new ToolError("TIMEOUT", `${options.vendor}: ${options.what}: cancelled`, {
        vendor: options.vendor,
      });
    if (waited + delay > options.timeoutMs) {
      throw new ToolError(
        "TIMEOUT",
        `${options.vendor}: ${options.what} did not finish within ${Math.round(options.timeoutMs / 1000)} s`,
        {
          vendor: options.vendor,
        },
      );
    }
    await sleep(delay, options.signal);
    waited += delay;
    delay = Math.min(options.maxDelayMs ?? 5_000, Math.round(delay * 1.5));
  }
}
