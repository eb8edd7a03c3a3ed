/**
 * A fake AbuseIPDB v2 on 127.0.0.1: GET /api/v2/check with the `Key` header, every valid IP answered 200
 * (score 0 and no reports when nobody reported it), 422 for a value that is not an IP or a bad
 * maxAgeInDays, 401 for a wrong key, HTML error pages when the client does not ask for JSON, and the
 * X-RateLimit-* headers. Seeded from the contract fixture; throttling (429 + Retry-After) is injected by tests.
 */
import { isIP } from "node:net";
import { FIXTURE } from "../../../lab/testing/fixture.ts";
import {
  startFakeServer,
  type FakeReply,
  type FakeRequest,
  type FakeServer,
} from "../../../testing/fake-http.ts";

export interface AbuseIpdbRecord {
  ipAddress: string;
  abuseConfidenceScore: number;
  usageType: string | null;
  isp?: string;
  countryCode?: string | null;
  isWhitelisted?: boolean | null;
  isTor?: boolean;
  /** Categories of each report, newest first. */
  reports?: number[][];
  lastReportedAt?: string | null;
}

export interface AbuseIpdbFakeOptions {
  apiKey?: string;
  records?: AbuseIpdbRecord[];
  /** The key is valid but lacks access to CHECK (403). */
  forbidden?: boolean;
  dailyLimit?: number;
}

export interface AbuseIpdbFake extends FakeServer {
  apiKey: string;
  baseUrl: string;
}

/** FIXTURE's "hosting" tag is AbuseIPDB's usage type; 15 (Hacking) is a category without a tag of ours. */
export function fixtureRecords(): AbuseIpdbRecord[] {
  return [
    {
      ipAddress: FIXTURE.intel.observable.value,
      abuseConfidenceScore: FIXTURE.intel.score,
      usageType: FIXTURE.intel.tags.includes("hosting")
        ? "Data Center/Web Hosting/Transit"
        : "Fixed Line ISP",
      isp: "Example Hosting SRL",
      countryCode: "RO",
      isWhitelisted: false,
      reports: [[15], [15], [15]],
      lastReportedAt: "2026-11-02T21:14:09+00:00",
    },
    {
      ipAddress: "185.220.101.1",
      abuseConfidenceScore: 100,
      usageType: "Data Center/Web Hosting/Transit",
      isp: "Tor relay",
      countryCode: "DE",
      isTor: true,
      reports: [
        [14, 15],
        [18, 22],
      ],
      lastReportedAt: "2026-11-03T09:00:00+00:00",
    },
    {
      ipAddress: "198.51.100.7",
      abuseConfidenceScore: 10,
      usageType: "Fixed Line ISP",
      isp: "Example Broadband",
      countryCode: "US",
      reports: [[14]],
      lastReportedAt: "2026-09-01T00:00:00+00:00",
    },
    {
      ipAddress: "8.8.8.8",
      abuseConfidenceScore: 0,
      usageType: "Content Delivery Network",
      isWhitelisted: true,
    },
  ];
}

const errors = (status: number, detail: string, parameter?: string): FakeReply => ({
  status,
  body: { errors: [{ detail, status, ...(parameter ? { source: { parameter } } : {}) }] },
});

const isPrivate = (ip: string) =>
  /^(10\.|127\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|0\.)/.test(ip) || /^(::1$|f[cd])/i.test(ip);

export async function startAbuseIpdbFake(options: AbuseIpdbFakeOptions = {}): Promise<AbuseIpdbFake> {
  const apiKey = options.apiKey ?? "abuseipdb-test-key";
  const records = options.records ?? fixtureRecords();
  const limit = options.dailyLimit ?? 1000;
  let used = 0;

  function check(request: FakeRequest): FakeReply {
    const wantsJson = (request.headers.accept ?? "").includes("application/json");
    if (request.headers.key !== apiKey) {
      if (!wantsJson) return { status: 401, body: "<html><body>Unauthorized</body></html>" };
      return errors(
        401,
        "Authentication failed. Your API key is either missing, incorrect, or revoked. Note: The APIv2 key differs from the APIv1 key.",
      );
    }
    if (options.forbidden) return errors(403, "Your plan does not include this endpoint.");
    const ip = request.query.get("ipAddress") ?? "";
    if (isIP(ip) === 0) {
      if (!wantsJson) return { status: 422, body: "<html><body>Unprocessable</body></html>" };
      return errors(
        422,
        "The ip address must be a valid IPv4 or IPv6 address (e.g. 8.8.8.8 or 2001:4860:4860::8888).",
        "ipAddress",
      );
    }
    const maxAge = Number(request.query.get("maxAgeInDays") ?? "30");
    if (!Number.isInteger(maxAge) || maxAge < 1 || maxAge > 365)
      return errors(422, "The max age in days must be between 1 and 365.", "maxAgeInDays");
    used++;
    const record = records.find((r) => r.ipAddress === ip);
    const reports = record?.reports ?? [];
    const data = {
      ipAddress: ip,
      isPublic: !isPrivate(ip),
      ipVersion: isIP(ip),
      isWhitelisted: record?.isWhitelisted ?? null,
      abuseConfidenceScore: record?.abuseConfidenceScore ?? 0,
      countryCode: record?.countryCode ?? null,
      usageType: record ? record.usageType : isPrivate(ip) ? "Reserved" : "Fixed Line ISP",
      isp: record?.isp ?? "Example ISP",
      domain: "example.net",
      hostnames: [],
      isTor: record?.isTor ?? false,
      totalReports: reports.length,
      numDistinctUsers: reports.length,
      lastReportedAt: record?.lastReportedAt ?? null,
      // `verbose` is a flag: present (even empty) adds countryName and the reports.
      ...(request.query.has("verbose")
        ? {
            countryName: record?.countryCode ? `Country ${record.countryCode}` : null,
            reports: reports.map((categories, i) => ({
              reportedAt: record?.lastReportedAt ?? "2026-11-01T00:00:00+00:00",
              comment: `report ${i + 1}`,
              categories,
              reporterId: i + 1,
              reporterCountryCode: "US",
              reporterCountryName: "United States",
            })),
          }
        : {}),
    };
    return {
      headers: {
        "x-ratelimit-limit": String(limit),
        "x-ratelimit-remaining": String(Math.max(0, limit - used)),
      },
      body: { data },
    };
  }

  const server = await startFakeServer([{ method: "GET", path: "/api/v2/check", handler: check }]);
  return Object.assign(server, { apiKey, baseUrl: `${server.url}/api/v2` });
}

/** The daily limit spent: 429 with a Retry-After of hours, as AbuseIPDB sends. */
export const dailyLimitExceeded: FakeReply = {
  ...errors(
    429,
    "Daily rate limit of 1000 requests exceeded for this endpoint. See headers for additional details.",
  ),
  headers: { "retry-after": "29241", "x-ratelimit-limit": "1000", "x-ratelimit-remaining": "0" },
};
