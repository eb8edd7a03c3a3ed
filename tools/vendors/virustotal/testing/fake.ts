/**
 * A fake VirusTotal v3 on 127.0.0.1: files (by sha256, sha1 or md5), URLs (by base64url id or the SHA-256
 * of the URL), domains and IPs, with VirusTotal's auth errors, `{error:{code,message}}` bodies, 404
 * NotFoundError for objects it has never seen and 400 InvalidArgumentError for malformed ids. Seeded from
 * the contract fixture; throttling (429 QuotaExceededError, no Retry-After) is injected by tests.
 */
import { createHash } from "node:crypto";
import { isIP } from "node:net";
import { FIXTURE } from "../../../lab/testing/fixture.ts";
import { startFakeServer, type FakeReply, type FakeServer } from "../../../testing/fake-http.ts";
import { EICAR_SHA256 } from "../index.ts";

export type VtCollection = "files" | "urls" | "domains" | "ip_addresses";

export interface VtFakeObject {
  collection: VtCollection;
  /** sha256 for files, the URL itself for URLs, the domain or IP otherwise. */
  id: string;
  /** Other ids of a file (md5, sha1). */
  aliases?: string[];
  attributes: Record<string, unknown>;
}

export interface VtFakeOptions {
  apiKey?: string;
  objects?: VtFakeObject[];
  /** The key is valid but the account may not read objects (403 ForbiddenError). */
  forbidden?: boolean;
}

export interface VtFake extends FakeServer {
  apiKey: string;
  /** The adapter's baseUrl. */
  baseUrl: string;
}

const stats = (malicious: number, extra: Record<string, number> = {}) => ({
  harmless: 60,
  malicious,
  suspicious: 0,
  undetected: 20,
  timeout: 0,
  ...extra,
});

/**
 * How many engines must say malicious for the adapter to score `score` at the default threshold of 3
 * (60 at 3 engines, +5 per engine): FIXTURE's 90 and 80 become 9 and 7 engines.
 */
const enginesFor = (score: number) => 3 + (score - 60) / 5;

const epoch = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** The fixture's intel verdicts in VirusTotal's shapes, plus a few objects the adapter's own tests read. */
export function fixtureObjects(): VtFakeObject[] {
  const { intel, intelDomain } = FIXTURE;
  return [
    {
      collection: "ip_addresses",
      id: intel.observable.value,
      attributes: {
        last_analysis_stats: stats(enginesFor(intel.score)),
        last_analysis_date: epoch("2026-11-02T08:00:00Z"),
        tags: [...intel.tags],
        as_owner: "Example Hosting SRL",
        country: "RO",
        reputation: -12,
      },
    },
    {
      collection: "domains",
      id: intelDomain.observable.value,
      attributes: {
        last_analysis_stats: stats(enginesFor(intelDomain.score)),
        last_analysis_date: epoch("2026-11-02T08:00:00Z"),
        // Partners' categories, the way VirusTotal reports what a domain is.
        categories: Object.fromEntries(
          intelDomain.tags.map((tag, i) => [`Partner ${i + 1}`, `${tag} and fraud`]),
        ),
        creation_date: epoch("2024-05-01T00:00:00Z"),
        tags: [],
      },
    },
    {
      collection: "domains",
      id: "example.com",
      attributes: {
        last_analysis_stats: { harmless: 66, malicious: 0, suspicious: 0, undetected: 27, timeout: 0 },
        categories: { "Forcepoint ThreatSeeker": "information technology" },
      },
    },
    {
      collection: "urls",
      id: "https://files.example.net/payload.exe",
      attributes: {
        last_analysis_stats: { harmless: 70, malicious: 1, suspicious: 1, undetected: 20, timeout: 0 },
        first_submission_date: epoch("2026-10-30T12:00:00Z"),
        tags: ["ip"],
      },
    },
    {
      collection: "files",
      id: EICAR_SHA256,
      aliases: ["44d88612fea8a8f36de82e1278abb02f", "3395856ce81f2b7382dee72602f798b642f14140"],
      attributes: {
        last_analysis_stats: {
          harmless: 0,
          malicious: 62,
          suspicious: 0,
          undetected: 8,
          timeout: 0,
          "type-unsupported": 5,
          "confirmed-timeout": 0,
          failure: 0,
        },
        first_submission_date: 1_148_301_722,
        popular_threat_classification: {
          suggested_threat_label: "virus.eicar/test",
          popular_threat_category: [{ value: "virus", count: 30 }],
        },
        tags: ["text", "attachment"],
      },
    },
  ];
}

const error = (status: number, code: string, message: string): FakeReply => ({
  status,
  body: { error: { code, message } },
});

const HOSTNAME = /^(?:[a-z0-9_-]+\.)+[a-z0-9-]+$/;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function validId(collection: VtCollection, id: string): boolean {
  if (collection === "ip_addresses") return isIP(id) !== 0;
  if (collection === "domains") return HOSTNAME.test(id);
  if (collection === "files") return /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/i.test(id);
  return id.length > 0;
}

export async function startVirusTotalFake(options: VtFakeOptions = {}): Promise<VtFake> {
  const apiKey = options.apiKey ?? "vt-test-key";
  const objects = options.objects ?? fixtureObjects();

  function find(collection: VtCollection, id: string): VtFakeObject | undefined {
    return objects.find((o) => {
      if (o.collection !== collection) return false;
      if (collection === "urls")
        return id === sha256(o.id) || id === Buffer.from(o.id, "utf8").toString("base64url");
      return o.id === id || (o.aliases ?? []).includes(id);
    });
  }

  const route = (collection: VtCollection) => ({
    method: "GET",
    path: `/api/v3/${collection}/:id`,
    handler: ({ params, headers }: { params: Record<string, string>; headers: Record<string, string> }) => {
      const key = headers["x-apikey"];
      if (!key) return error(401, "AuthenticationRequiredError", "X-Apikey header is missing");
      if (key !== apiKey) return error(401, "WrongCredentialsError", "Wrong API key");
      if (options.forbidden)
        return error(403, "ForbiddenError", "You are not allowed to perform the requested operation");
      const id = params.id ?? "";
      if (!validId(collection, id)) return error(400, "InvalidArgumentError", `Invalid id "${id}"`);
      const found = find(collection, id);
      if (!found) return error(404, "NotFoundError", `"${id}" not found`);
      const type = { files: "file", urls: "url", domains: "domain", ip_addresses: "ip_address" }[collection];
      return {
        body: {
          data: {
            id: collection === "urls" ? sha256(found.id) : found.id,
            type,
            links: { self: `https://www.virustotal.com/api/v3/${collection}/${found.id}` },
            attributes: found.attributes,
          },
        },
      };
    },
  });

  const server = await startFakeServer([
    route("files"),
    route("urls"),
    route("domains"),
    route("ip_addresses"),
  ]);
  return Object.assign(server, { apiKey, baseUrl: `${server.url}/api/v3` });
}

/** VirusTotal's answer to a spent quota: 429 with no Retry-After. */
export const quotaExceeded: FakeReply = error(429, "QuotaExceededError", "Quota exceeded");
export const tooManyRequests: FakeReply = error(429, "TooManyRequestsError", "Too many requests");
export const transientError: FakeReply = error(503, "TransientError", "Please retry later");
