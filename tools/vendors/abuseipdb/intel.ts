/**
 * ThreatIntel over AbuseIPDB v2's CHECK endpoint: IP addresses only. Every other type, and a value that is
 * not an IP (checked here, so no daily quota is spent on it; a 422 from AbuseIPDB all the same), answers
 * "unknown". Auth failures, throttling and outages are ToolErrors, so the combined intel port names them
 * and its cache keeps no verdict that was never given.
 */
import { isIP } from "node:net";
import type { z } from "zod";
import { isToolError } from "../../../core/errors.ts";
import { answerOf, type HttpClient, type HttpResponse } from "../../http.ts";
import type { CallOptions, ThreatIntel } from "../../../core/ports.ts";
import type { IntelVerdict, Observable, ObservableType } from "../../../core/domain.ts";
import { VENDOR } from "./client.ts";
import { checkResponseSchema, toIntelVerdict, type AbuseBands } from "./verdict.ts";
import { unknownVerdict } from "../../intel.ts";

type Lookup = Pick<Observable, "type" | "value">;

/** The observable types AbuseIPDB has data on: IP addresses only. */
export const ABUSEIPDB_COVERS = ["ip"] as const satisfies readonly ObservableType[];

type CheckResponse = HttpResponse<z.infer<typeof checkResponseSchema>>;

/** GET /check for one address, with the reports (`verbose`) whose categories become tags. */
export function checkIp(
  http: HttpClient,
  ip: string,
  maxAgeInDays: number,
  signal?: AbortSignal,
): Promise<CheckResponse> {
  return http.request({
    path: "/check",
    query: { ipAddress: ip, maxAgeInDays, verbose: "" },
    schema: checkResponseSchema,
    ...(signal ? { signal } : {}),
  });
}

const unknown = (observable: Lookup, detail: string): IntelVerdict =>
  unknownVerdict(observable, VENDOR, `AbuseIPDB: ${detail}`);

export function createAbuseIpdbIntel(http: HttpClient, bands: AbuseBands): ThreatIntel {
  return {
    vendor: VENDOR,
    async lookup(observable: Lookup, call?: CallOptions): Promise<IntelVerdict> {
      if (observable.type !== "ip") return unknown(observable, `AbuseIPDB has no ${observable.type} lookups`);
      const ip = observable.value.trim();
      if (isIP(ip) === 0) return unknown(observable, "not an IP address");
      try {
        const { data } = await checkIp(http, ip, bands.maxAgeInDays, call?.signal);
        return toIntelVerdict(observable, data.data, bands);
      } catch (error) {
        // 422: AbuseIPDB refused the value (an address form it does not accept).
        if (isToolError(error) && error.code === "BAD_INPUT" && error.status === 422)
          return unknown(observable, `refused the value (${answerOf(error)})`);
        throw error;
      }
    },
  };
}
