/** Identifiers: case ids, process instance ids, and the canonical JSON that content-derived ids hash. */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

/** A new case id: short enough to type, random enough not to collide in one deployment's memory. */
export function newCaseId(): string {
  return `case-${randomBytes(5).toString("hex")}`;
}

/** Who holds a lease or a batch claim: this host and process, plus a random part for one instance of several. */
export function instanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

/** The evidence id of the alert itself, always the first evidence item. */
export const ALERT_EVIDENCE_ID = "ev-alert";

/** Canonical JSON: object keys sorted, so equal arguments give equal evidence ids and audit MACs. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
