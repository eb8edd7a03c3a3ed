/**
 * ThreatIntel over VirusTotal v3: file hashes, URLs, domains and IPs, one GET each. Never submits anything:
 * a submitted URL or file becomes visible to every VirusTotal Intelligence subscriber and may carry a
 * recipient's token, so a URL VirusTotal has not seen stays "unknown" rather than being scanned.
 *
 * "unknown", never an error: types VirusTotal does not cover, values that are not what their type says
 * (checked here, so no quota is spent on them), 404 NotFoundError (never seen), and 400
 * InvalidArgumentError/NotAvailableYet. Everything else (auth, quota, outages) is a ToolError, so the
 * combined intel port names the failure and its cache does not keep a verdict that was never given.
 */
import { isIP } from "node:net";
import { isToolError } from "../../../core/errors.ts";
import { answerOf, type HttpClient } from "../../http.ts";
import type { CallOptions, ThreatIntel } from "../../../core/ports.ts";
import type { IntelVerdict, Observable, ObservableType } from "../../../core/domain.ts";
import { VENDOR } from "./client.ts";
import { toIntelVerdict, vtObjectSchema, type VtScoring } from "./verdict.ts";
import { lookupDomain, unknownVerdict } from "../../intel.ts";

type Lookup = Pick<Observable, "type" | "value">;

/** The observable types VirusTotal has data on. */
export const VIRUSTOTAL_COVERS = [
  "file_hash",
  "url",
  "domain",
  "ip",
] as const satisfies readonly ObservableType[];

const HASH = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/;
/** VirusTotal's URL identifier: the URL in base64url without padding (Node's base64url has none). */
export function urlId(url: string): string {
  return Buffer.from(url, "utf8").toString("base64url");
}

/** The object path for an observable, or why it cannot be looked up. */
export function objectPath(observable: Lookup): { path: string } | { skip: string } {
  const value = observable.value.trim();
  switch (observable.type) {
    case "ip":
      return isIP(value)
        ? { path: `/ip_addresses/${encodeURIComponent(value.toLowerCase())}` }
        : { skip: "not an IP address" };
    case "domain": {
      const domain = lookupDomain(value);
      return domain ? { path: `/domains/${domain}` } : { skip: "not a domain name" };
    }
    case "url":
      return value ? { path: `/urls/${urlId(value)}` } : { skip: "an empty URL" };
    case "file_hash":
      return HASH.test(value.toLowerCase())
        ? { path: `/files/${value.toLowerCase()}` }
        : { skip: "not an MD5, SHA-1 or SHA-256 hash" };
    case "email":
    case "file_name":
    case "user":
    case "host":
    case "message_id":
    case "process":
      return { skip: `VirusTotal has no ${observable.type} lookups` };
  }
}

const unknown = (observable: Lookup, detail: string): IntelVerdict =>
  unknownVerdict(observable, VENDOR, `VirusTotal: ${detail}`);

export function createVirusTotalIntel(
  http: HttpClient,
  options: VtScoring & { now: () => Date },
): ThreatIntel {
  return {
    vendor: VENDOR,
    async lookup(observable: Lookup, call?: CallOptions): Promise<IntelVerdict> {
      const target = objectPath(observable);
      if ("skip" in target) return unknown(observable, target.skip);
      try {
        const body = await http.json({
          path: target.path,
          schema: vtObjectSchema,
          ...(call?.signal ? { signal: call.signal } : {}),
        });
        return toIntelVerdict(observable, body.data.attributes, {
          maliciousEngines: options.maliciousEngines,
          now: options.now(),
        });
      } catch (error) {
        if (isToolError(error) && error.code === "NOT_FOUND") return unknown(observable, "never seen");
        if (isToolError(error) && error.code === "BAD_INPUT")
          return unknown(observable, `cannot look it up (${answerOf(error)})`);
        throw error;
      }
    },
  };
}
