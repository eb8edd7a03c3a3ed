/**
 * A fake URLhaus on 127.0.0.1: form-encoded POSTs to /v1/url/, /v1/host/ and /v1/payload/ (trailing slash),
 * answers with URLhaus's shapes (numbers as strings, "true"/"false" strings, "YYYY-MM-DD hh:mm:ss UTC"
 * dates, null or "" for empty values), `query_status` for every outcome (no_results, invalid_*,
 * http_post_expected) and `unknown_auth_key` for a wrong key, on HTTP 401 by default or 200/403 as asked.
 * Seeded from the contract fixture.
 */
import { isIP } from "node:net";
import { FIXTURE } from "../../../lab/testing/fixture.ts";
import {
  formOf,
  startFakeServer,
  type FakeReply,
  type FakeRequest,
  type FakeServer,
} from "../../../testing/fake-http.ts";

export interface UrlhausFakeUrl {
  id: string;
  url: string;
  host: string;
  url_status: "online" | "offline" | "unknown";
  date_added: string;
  tags: string[] | null;
}

export interface UrlhausFakeHost {
  host: string;
  firstseen: string;
  spamhaus_dbl: string;
  surbl: "listed" | "not listed";
}

export interface UrlhausFakePayload {
  md5_hash: string;
  sha256_hash: string;
  file_type: string;
  signature: string | null;
  firstseen: string;
  urls: string[];
}

export interface UrlhausSeed {
  urls: UrlhausFakeUrl[];
  hosts: UrlhausFakeHost[];
  payloads: UrlhausFakePayload[];
}

export interface UrlhausFakeOptions {
  authKey?: string;
  seed?: UrlhausSeed;
  /** The HTTP status of an unknown_auth_key answer (reported as 401 and 403, and 200 is possible). */
  authFailureStatus?: 200 | 401 | 403;
}

export interface UrlhausFake extends FakeServer {
  authKey: string;
  baseUrl: string;
}

/**
 * The fixture in URLhaus's terms. FIXTURE's IP (malicious 90, "hosting") serves a URL online now, whose
 * reporter tagged it with FIXTURE's tag; FIXTURE's domain (malicious 80, "phishing") is on Spamhaus DBL as
 * a phishing_domain and once served a URL now offline. Plus a legitimate site abused, and one payload.
 */
export function fixtureSeed(): UrlhausSeed {
  const ip = FIXTURE.intel.observable.value;
  const domain = FIXTURE.intelDomain.observable.value;
  return {
    urls: [
      {
        id: "3100001",
        url: `http://${ip}/bins/x86`,
        host: ip,
        url_status: "online",
        date_added: "2026-10-30 11:02:33 UTC",
        tags: [...FIXTURE.intel.tags, "elf", "mozi"],
      },
      {
        id: "3100002",
        url: `http://${domain}/dl/invoice.zip`,
        host: domain,
        url_status: "offline",
        date_added: "2026-10-01 08:00:00 UTC",
        tags: ["zip", "AgentTesla"],
      },
      {
        id: "3100003",
        url: "http://shop.example.org/wp-content/u.exe",
        host: "shop.example.org",
        url_status: "offline",
        date_added: "2026-08-12 17:45:10 UTC",
        tags: null,
      },
    ],
    hosts: [
      { host: ip, firstseen: "2026-10-30 11:02:33 UTC", spamhaus_dbl: "not listed", surbl: "not listed" },
      {
        host: domain,
        firstseen: "2026-10-01 08:00:00 UTC",
        spamhaus_dbl: FIXTURE.intelDomain.tags.map((tag) => `${tag}_domain`)[0] ?? "not listed",
        surbl: "not listed",
      },
      {
        host: "shop.example.org",
        firstseen: "2026-08-12 17:45:10 UTC",
        spamhaus_dbl: "abused_legit_malware",
        surbl: "listed",
      },
    ],
    payloads: [
      {
        md5_hash: "0123456789abcdef0123456789abcdef",
        sha256_hash: "c".repeat(64),
        file_type: "zip",
        signature: "AgentTesla",
        firstseen: "2026-10-01 08:01:12",
        urls: [`http://${domain}/dl/invoice.zip`],
      },
    ],
  };
}

const status = (query_status: string, httpStatus = 200): FakeReply => ({
  status: httpStatus,
  body: { query_status },
});
const HOST = /^(?:[a-z0-9_-]+\.)+[a-z0-9-]+$/;

export async function startUrlhausFake(options: UrlhausFakeOptions = {}): Promise<UrlhausFake> {
  const authKey = options.authKey ?? "urlhaus-test-key";
  const seed = options.seed ?? fixtureSeed();
  const blacklists = (host: string) => {
    const known = seed.hosts.find((h) => h.host === host);
    return { spamhaus_dbl: known?.spamhaus_dbl ?? "not listed", surbl: known?.surbl ?? "not listed" };
  };
  const urlEntry = (u: UrlhausFakeUrl) => ({
    id: u.id,
    urlhaus_reference: `https://urlhaus.abuse.ch/url/${u.id}/`,
    url: u.url,
    url_status: u.url_status,
    date_added: u.date_added,
    threat: "malware_download",
    reporter: "abuse_ch",
    larted: u.url_status === "online" ? "false" : "true",
    takedown_time_seconds: u.url_status === "online" ? "" : null,
    tags: u.tags,
  });

  const lookups: Record<string, (form: URLSearchParams) => FakeReply> = {
    url(form) {
      const url = form.get("url") ?? "";
      if (!URL.canParse(url)) return status("invalid_url");
      const found = seed.urls.find((u) => u.url === url);
      if (!found) return status("no_results");
      const payloads = seed.payloads.filter((p) => p.urls.includes(url));
      return {
        body: {
          query_status: "ok",
          ...urlEntry(found),
          host: found.host,
          last_online: null,
          blacklists: blacklists(found.host),
          payloads: payloads.map((p) => ({
            firstseen: p.firstseen.slice(0, 10),
            filename: "invoice.zip",
            file_type: p.file_type,
            response_size: "179664",
            response_md5: p.md5_hash,
            response_sha256: p.sha256_hash,
            urlhaus_download: `https://urlhaus-api.abuse.ch/v1/download/${p.sha256_hash}/`,
            signature: p.signature,
            virustotal: null,
          })),
        },
      };
    },
    host(form) {
      const host = form.get("host") ?? "";
      if (!HOST.test(host) && isIP(host) !== 4) return status("invalid_host");
      const urls = seed.urls.filter((u) => u.host === host);
      const known = seed.hosts.find((h) => h.host === host);
      if (!known && urls.length === 0) return status("no_results");
      return {
        body: {
          query_status: "ok",
          urlhaus_reference: `https://urlhaus.abuse.ch/host/${host}/`,
          host,
          firstseen: known?.firstseen ?? urls[0]?.date_added ?? null,
          url_count: String(urls.length),
          blacklists: blacklists(host),
          urls: urls.map(urlEntry),
        },
      };
    },
    payload(form) {
      const md5 = form.get("md5_hash");
      const sha256 = form.get("sha256_hash");
      if (md5 !== null && !/^[0-9a-f]{32}$/i.test(md5)) return status("invalid_md5");
      if (sha256 !== null && !/^[0-9a-f]{64}$/i.test(sha256)) return status("invalid_sha256");
      const found = seed.payloads.find((p) => p.md5_hash === md5 || p.sha256_hash === sha256);
      if (!found) return status("no_results");
      return {
        body: {
          query_status: "ok",
          md5_hash: found.md5_hash,
          sha256_hash: found.sha256_hash,
          file_type: found.file_type,
          file_size: "179664",
          signature: found.signature,
          firstseen: found.firstseen,
          lastseen: null,
          url_count: String(found.urls.length),
          urlhaus_download: `https://urlhaus-api.abuse.ch/v1/download/${found.sha256_hash}/`,
          virustotal: { result: "31 / 68", percent: "45.59", link: "https://www.virustotal.com/gui/file/x" },
          imphash: null,
          ssdeep: null,
          tlsh: null,
          urls: found.urls.map((url) => ({
            url,
            url_status: "offline",
            firstseen: "2026-10-01",
            lastseen: null,
          })),
        },
      };
    },
  };

  const handler = (kind: string) => (request: FakeRequest) => {
    if (request.headers["auth-key"] !== authKey)
      return status("unknown_auth_key", options.authFailureStatus ?? 401);
    if (request.method !== "POST") return status("http_post_expected");
    return lookups[kind]?.(formOf(request)) ?? status("no_results");
  };
  const routes = ["url", "host", "payload"].map((kind) => ({
    method: "*",
    path: `/v1/${kind}/`,
    handler: handler(kind),
  }));
  const server = await startFakeServer(routes);
  return Object.assign(server, { authKey, baseUrl: `${server.url}/v1` });
}
