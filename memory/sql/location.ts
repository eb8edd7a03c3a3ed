/** Case-database locations: a PostgreSQL URL, or else a SQLite file path. */
import { TriageError } from "../../core/errors.ts";

/** The URL without its password, for messages. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    parsed.search = "";
    return parsed.toString();
  } catch {
    return "postgres://(unparsable URL)";
  }
}

/** Whether a database location names a PostgreSQL server rather than a SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** Checks a PostgreSQL URL's shape; returns it unchanged, or throws BAD_INPUT naming what is wrong. */
export function checkPostgresUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TriageError("BAD_INPUT", `${describePostgresUrl(url)} is not a valid PostgreSQL URL`);
  }
  // A host in the query (?host=/run/postgresql) is a Unix socket, which libpq-style URLs allow.
  if (!parsed.hostname && !parsed.searchParams.get("host"))
    throw new TriageError("BAD_INPUT", `${describePostgresUrl(url)} names no server host`);
  if (parsed.pathname.replace(/^\//, "") === "")
    throw new TriageError(
      "BAD_INPUT",
      `${describePostgresUrl(url)} names no database (postgres://host/NAME)`,
    );
  return url;
}
