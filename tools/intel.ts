/**
 * Threat intel from several vendors as one port, and a cache in front of each vendor so a repeated
 * observable costs no quota until its entry expires.
 */
import { domainToASCII } from "node:url";
import { describeError, ToolError } from "../core/errors.ts";
import { intelVerdictSchema, type IntelVerdict, type Observable } from "../core/domain.ts";
import { type ThreatIntel, type IntelCacheStore } from "../core/ports.ts";

type Lookup = Pick<Observable, "type" | "value">;

const RANK: Record<IntelVerdict["verdict"], number> = {
  unknown: 0,
  harmless: 1,
  suspicious: 2,
  malicious: 3,
};

const HOSTNAME =
  /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** A domain in the form intel services key it (lower case, punycode, no trailing dot), or null if not one. */
export function lookupDomain(value: string): string | null {
  const name = value.trim().replace(/\.$/, "");
  // domainToASCII stops at "/", "?" or "#" and returns the part before; anything but label characters is refused first.
  if (!/^[\p{L}\p{N}._-]+$/u.test(name)) return null;
  const ascii = domainToASCII(name);
  return HOSTNAME.test(ascii) ? ascii : null;
}

/** "Nothing known" from one source, echoing the observable, with the source's reason. */
export function unknownVerdict(observable: Lookup, source: string, detail: string): IntelVerdict {
  return {
    observable: { type: observable.type, value: observable.value },
    verdict: "unknown",
    score: null,
    sources: [source],
    tags: [],
    firstSeen: null,
    detail,
  };
}

/** URLs keep their case (paths are case-sensitive); every other observable compares in lower case. */
export function intelKey(observable: Lookup): string {
  return observable.type === "url" ? observable.value.trim() : observable.value.trim().toLowerCase();
}

/**
 * Asks every source at once and merges: the most severe verdict wins (one vendor's "malicious" is not
 * outvoted by another's "harmless"), the highest score, every source and tag, the earliest first sighting.
 * A source that fails is named in the detail; only when all fail does the lookup fail.
 */
export function combineIntel(sources: readonly ThreatIntel[]): ThreatIntel {
  return {
    vendor: sources.map((s) => s.vendor).join("+") || "none",
    async lookup(observable, options) {
      const settled = await Promise.allSettled(sources.map((s) => s.lookup(observable, options)));
      const answers: IntelVerdict[] = [];
      const failures: string[] = [];
      settled.forEach((result, i) => {
        if (result.status === "fulfilled") answers.push(intelVerdictSchema.parse(result.value));
        else failures.push(`${sources[i]?.vendor ?? "?"} failed (${describeError(result.reason)})`);
      });
      if (answers.length === 0) {
        const first = settled.find((r) => r.status === "rejected");
        if (first && first.reason instanceof ToolError) throw first.reason;
        throw new ToolError("UPSTREAM_ERROR", failures.join("; ") || "no threat-intel source is configured");
      }
      const worst = answers.reduce((a, b) => (RANK[b.verdict] > RANK[a.verdict] ? b : a));
      const scores = answers.map((a) => a.score).filter((s): s is number => typeof s === "number");
      const seen = answers
        .map((a) => a.firstSeen)
        .filter((s): s is string => typeof s === "string")
        .sort();
      const details = answers.filter((a) => a.detail).map((a) => a.detail);
      return {
        observable: { type: observable.type, value: observable.value },
        verdict: worst.verdict,
        score: scores.length ? Math.max(...scores) : null,
        sources: [...new Set(answers.flatMap((a) => a.sources))],
        tags: [...new Set(answers.flatMap((a) => a.tags))],
        firstSeen: seen[0] ?? null,
        detail: [...details, ...failures].join("; ") || null,
      };
    },
  };
}

/**
 * Serves a vendor's verdict from the cache while it is younger than the TTL. Failures are not cached, so a
 * throttled lookup is asked again next time; an entry that no longer parses is refetched.
 */
export function withIntelCache(
  intel: ThreatIntel,
  store: IntelCacheStore,
  options: { ttlMs: number; now: () => Date },
): ThreatIntel {
  return {
    vendor: intel.vendor,
    async lookup(observable, callOptions) {
      const key = intelKey(observable);
      const hit = await store.get(intel.vendor, observable.type, key);
      if (hit && options.now().getTime() - Date.parse(hit.fetchedAt) < options.ttlMs) {
        const cached = intelVerdictSchema.safeParse(hit.verdict);
        if (cached.success)
          return { ...cached.data, observable: { type: observable.type, value: observable.value } };
      }
      const fresh = await intel.lookup(observable, callOptions);
      if (options.ttlMs > 0)
        await store.put(intel.vendor, observable.type, key, fresh, options.now().toISOString());
      return fresh;
    },
  };
}
