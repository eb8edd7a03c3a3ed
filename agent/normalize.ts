/** Normalizes an alert's observables: canonical case, de-duplicated, plus those found in its raw fields. */
import type { Alert, Observable, ObservableType } from "../core/domain.ts";

const patterns: Array<{ type: ObservableType; pattern: RegExp }> = [
  { type: "url", pattern: /\bhttps?:\/\/[^\s"'<>]{3,2000}/gi },
  { type: "email", pattern: /\b[a-z0-9._%+-]{1,64}@[a-z0-9.-]{1,253}\.[a-z]{2,24}\b/gi },
  { type: "ip", pattern: /\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b/g },
  { type: "file_hash", pattern: /\b[a-f0-9]{64}\b/gi },
];

const caseInsensitive = new Set<ObservableType>(["domain", "email", "file_hash", "user", "host", "ip"]);

function canonical(observable: Observable): Observable {
  const value = observable.value.trim();
  return { ...observable, value: caseInsensitive.has(observable.type) ? value.toLowerCase() : value };
}

function* stringsIn(value: unknown, depth = 0): Generator<string> {
  if (depth > 4) return;
  if (typeof value === "string") yield value;
  else if (Array.isArray(value)) for (const item of value) yield* stringsIn(item, depth + 1);
  else if (value !== null && typeof value === "object")
    for (const item of Object.values(value)) yield* stringsIn(item, depth + 1);
}

/** Observables mentioned in the alert's raw fields that the source did not list. */
export function extractObservables(raw: Record<string, unknown>, limit = 200): Observable[] {
  const found: Observable[] = [];
  for (const text of stringsIn(raw)) {
    if (text.length > 100_000) continue;
    for (const { type, pattern } of patterns) {
      for (const match of text.matchAll(pattern)) {
        found.push({ type, value: match[0], role: "mentioned" });
        if (found.length >= limit) return found;
      }
    }
  }
  return found;
}

export function normalizeAlert(alert: Alert): Alert {
  const seen = new Set<string>();
  const observables: Observable[] = [];
  for (const observable of [...alert.observables, ...extractObservables(alert.raw)].map(canonical)) {
    const key = `${observable.type}\u0000${observable.value}`;
    if (seen.has(key) || observables.length >= 500) continue;
    seen.add(key);
    observables.push(observable);
  }
  return { ...alert, observables };
}
