/**
 * ThreatIntel over URLhaus: URLs (POST /url/), domains and IPv4 hosts (POST /host/), payload MD5/SHA-256
 * (POST /payload/), form-encoded, each path with its trailing slash (without it URLhaus redirects, and the
 * redirected GET answers http_post_expected).
 *
 * "unknown", never an error: types URLhaus does not cover (and IPv6, SHA-1), values that are not what their
 * type says (checked here), `no_results`, and `invalid_url`/`invalid_host`/`invalid_md5`/`invalid_sha256`.
 * `unknown_auth_key` is AUTH_FAILED even on HTTP 200; any other status is BAD_RESPONSE.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { ToolError } from "../../../core/errors.ts";
import type { HttpClient } from "../../http.ts";
import type { CallOptions, ThreatIntel } from "../../../core/ports.ts";
import type { IntelVerdict, Observable, ObservableType } from "../../../core/domain.ts";
import { VENDOR } from "./client.ts";
import {
  hostAnswerSchema,
  hostVerdict,
  payloadAnswerSchema,
  payloadVerdict,
  urlAnswerSchema,
  urlVerdict,
} from "./verdict.ts";
import { lookupDomain, unknownVerdict } from "../../intel.ts";

type Lookup = Pick<Observable, "type" | "value">;

/** The observable types URLhaus has data on (IPs: IPv4 only; hashes: MD5 and SHA-256 only). */
export const URLHAUS_COVERS = [
  "url",
  "domain",
  "ip",
  "file_hash",
] as const satisfies readonly ObservableType[];

type Query = { kind: "url" | "host" | "payload"; path: string; form: Record<string, string> };

/** The query for an observable, or why URLhaus cannot answer it. */
export function queryOf(observable: Lookup): Query | { skip: string } {
  const value = observable.value.trim();
  switch (observable.type) {
    case "url":
      return URL.canParse(value)
        ? { kind: "url", path: "/url/", form: { url: value } }
        : { skip: "not a URL" };
    case "domain": {
      const host = lookupDomain(value);
      return host ? { kind: "host", path: "/host/", form: { host } } : { skip: "not a domain name" };
    }
    case "ip": {
      const version = isIP(value);
      if (version === 4) return { kind: "host", path: "/host/", form: { host: value } };
      return { skip: version === 6 ? "URLhaus lists IPv4 hosts only" : "not an IP address" };
    }
    case "file_hash": {
      const hash = value.toLowerCase();
      if (/^[0-9a-f]{32}$/.test(hash))
        return { kind: "payload", path: "/payload/", form: { md5_hash: hash } };
      if (/^[0-9a-f]{64}$/.test(hash))
        return { kind: "payload", path: "/payload/", form: { sha256_hash: hash } };
      return { skip: "URLhaus knows payloads by MD5 or SHA-256 only" };
    }
    case "email":
    case "file_name":
    case "user":
    case "host":
    case "message_id":
    case "process":
      return { skip: `URLhaus has no ${observable.type} lookups` };
  }
}

const unknown = (observable: Lookup, detail: string): IntelVerdict =>
  unknownVerdict(observable, VENDOR, `URLhaus: ${detail}`);

const answerSchema = z.looseObject({ query_status: z.string() });

function parseOk<T>(schema: z.ZodType<T>, answer: unknown, what: string): T {
  const parsed = schema.safeParse(answer);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ToolError(
    "BAD_RESPONSE",
    `${VENDOR}: ${what}: unexpected answer at ${issue?.path.join(".") || "root"}: ${issue?.message ?? "invalid"}`,
    { vendor: VENDOR },
  );
}

export function createUrlhausIntel(http: HttpClient, options: { authKeyEnv: string }): ThreatIntel {
  return {
    vendor: VENDOR,
    async lookup(observable: Lookup, call?: CallOptions): Promise<IntelVerdict> {
      const query = queryOf(observable);
      if ("skip" in query) return unknown(observable, query.skip);
      // The same "POST /v1/host/" the client names in its own errors.
      const what = `POST ${new URL(http.baseUrl).pathname.replace(/\/+$/, "")}${query.path}`;
      const answer = await http.json({
        method: "POST",
        path: query.path,
        form: query.form,
        schema: answerSchema,
        ...(call?.signal ? { signal: call.signal } : {}),
      });
      const status = answer.query_status;
      if (status === "ok") {
        if (query.kind === "url") return urlVerdict(observable, parseOk(urlAnswerSchema, answer, what));
        if (query.kind === "host") return hostVerdict(observable, parseOk(hostAnswerSchema, answer, what));
        return payloadVerdict(observable, parseOk(payloadAnswerSchema, answer, what));
      }
      if (status === "no_results") return unknown(observable, "never seen");
      if (status.startsWith("invalid_")) return unknown(observable, `refused the value (${status})`);
      if (status === "unknown_auth_key")
        throw new ToolError(
          "AUTH_FAILED",
          `${VENDOR}: ${what}: unknown_auth_key: the key in ${options.authKeyEnv} is not valid`,
          { vendor: VENDOR },
        );
      throw new ToolError("BAD_RESPONSE", `${VENDOR}: ${what}: unexpected query_status ${status}`, {
        vendor: VENDOR,
      });
    },
  };
}
