/**
 * Falcon Query Language (FQL) filters built from untrusted values. Strings are single-quoted with
 * backslashes and quotes escaped; control characters cannot be expressed and are refused. Inside quotes a
 * `*` is still a wildcard, so callers looking up one thing by name check the value first (plausibleName)
 * and the answer after (an exact comparison), never trusting the filter alone.
 */
import { ToolError } from "../../../core/errors.ts";

const VENDOR = "crowdstrike";
const FIELD = /^[a-z_][a-z0-9_.]*$/;

function badInput(message: string): ToolError {
  return new ToolError("BAD_INPUT", `${VENDOR}: ${message}`, { vendor: VENDOR });
}

function field(name: string): string {
  // Field names are ours, never an alert's; a bad one is a programming error worth a loud failure.
  if (!FIELD.test(name)) throw badInput(`not an FQL field name: ${name}`);
  return name;
}

/** A string literal: 'it\'s' with `\` → `\\` and `'` → `\'`. */
export function fqlString(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value))
    throw badInput(`an FQL value cannot hold control characters: ${JSON.stringify(value).slice(0, 80)}`);
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** `field:'value'`, or `field:['a','b']` for any of several values. */
export function fqlEquals(name: string, value: string | readonly string[]): string {
  if (typeof value === "string") return `${field(name)}:${fqlString(value)}`;
  if (value.length === 0) throw badInput(`no values to match ${name} against`);
  return `${field(name)}:[${value.map(fqlString).join(",")}]`;
}

/** A timestamp comparison, `created_timestamp:>'2026-01-01T00:00:00.000Z'`, with the bound as a UTC instant. */
export function fqlTime(name: string, op: ">" | ">=" | "<" | "<=", iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw badInput(`not an ISO 8601 timestamp: ${iso.slice(0, 80)}`);
  return `${field(name)}:${op}${fqlString(new Date(ms).toISOString())}`;
}

/** Every term must hold (FQL's `+`); empty terms are left out, so optional parts can be passed as "". */
export function fqlAll(...terms: string[]): string {
  return terms.filter((t) => t !== "").join("+");
}

/**
 * Hostnames and agent ids as Falcon stores them: letters, digits, dots, hyphens, underscores. Anything else
 * (a quote, a `*`, a space, a newline) names nothing Falcon could hold, so it is answered without a query.
 */
export function plausibleName(value: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(value);
}
