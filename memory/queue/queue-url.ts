/**
 * TRIAGE_QUEUE / --queue: which queue alerts go through. Only PostgreSQL (pg-boss) is supported; a Redis URL
 * gets one line saying so rather than a connection error from a client that is not there.
 */
import { TriageError } from "../../core/errors.ts";
import { secrets } from "../../core/redact.ts";

/** The URL, checked; its password (if any) is registered as a secret so no output ever shows it. */
export function checkQueueUrl(text: string, from: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TriageError("BAD_INPUT", `${from} must be a postgres:// URL, got ${text}`);
  }
  if (url.password) secrets.add(decodeURIComponent(url.password));
  if (url.protocol === "redis:" || url.protocol === "rediss:")
    throw new TriageError(
      "BAD_INPUT",
      `${from}: a Redis queue is not supported; use postgres://user@host:5432/db (pg-boss on PostgreSQL)`,
    );
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:")
    throw new TriageError("BAD_INPUT", `${from} must be a postgres:// URL, got ${url.protocol}//…`);
  if (!url.hostname) throw new TriageError("BAD_INPUT", `${from} names no host: ${url.protocol}//…`);
  return text;
}
