/**
 * Northwind Traders: its people, hosts, partners and the everyday noise (sign-ins, browsing, newsletters,
 * partner mail) that every scenario hides in. The facts match agent/organization.ts's defaults.
 */
import type { DirectoryUser, Host } from "../../core/domain.ts";
import type { LabWriter } from "./writer.ts";

export const DOMAIN = "northwindtraders.com";
export const DAY = 86_400_000;
export const HOUR = 3_600_000;
export const MINUTE = 60_000;

const FIRST = [
  "Dana",
  "Alex",
  "Priya",
  "Marcus",
  "Lena",
  "Tomas",
  "Aiko",
  "Jorge",
  "Fatima",
  "Noah",
  "Chloe",
  "Omar",
  "Ingrid",
  "Ravi",
  "Sofia",
  "Ethan",
  "Mei",
  "Lucas",
  "Amara",
  "Henrik",
  "Grace",
  "Diego",
  "Hana",
  "Samuel",
  "Zoe",
  "Victor",
  "Nadia",
  "Felix",
  "Elena",
  "Kwame",
];
const LAST = [
  "Lee",
  "Morgan",
  "Patel",
  "Reyes",
  "Fischer",
  "Novak",
  "Tanaka",
  "Silva",
  "Haddad",
  "Brooks",
  "Dubois",
  "Rahman",
  "Berg",
  "Iyer",
  "Rossi",
  "Walker",
  "Chen",
  "Moreau",
  "Okafor",
  "Larsen",
  "Kim",
  "Ortega",
  "Sato",
  "Adeyemi",
  "Clarke",
  "Petrov",
  "Aziz",
  "Wagner",
  "Costa",
  "Mensah",
];
const DEPARTMENTS = ["Sales", "Operations", "Engineering", "Logistics", "Customer Service", "Marketing"];

export const OFFICE_IPS = ["192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13", "192.0.2.14"];
export const VPN_PREFIX = "198.51.100.";
export const SCANNER = { hostname: "nw-vulnscan-01", ip: "10.10.0.50" };
/** First octets for attacker infrastructure (fictional use of real ranges). */
export const HOSTILE_OCTETS = [45, 91, 102, 154, 176, 185, 193, 197];
export const FOREIGN_COUNTRIES = ["NG", "RU", "VN", "BR", "RO", "UA", "ID"];
export const VPN_GEO = ["NL", "DE", "SG", "IE"];

export const COMMON_SITES = [
  "login.microsoftonline.com",
  "www.google.com",
  "github.com",
  "www.salesforce.com",
  "www.linkedin.com",
  "news.ycombinator.com",
  "www.bbc.co.uk",
  "slack.com",
  "zoom.us",
  "www.wikipedia.org",
  "fabrikam.com",
  "contoso.com",
];

export interface Person {
  user: DirectoryUser;
  workstation: Host | null;
}

export interface World {
  people: Person[];
  byTag: (tag: string) => Person[];
  ceo: Person;
  cfo: Person;
  finance: Person[];
  /** Office IPs each user habitually signs in from. */
  homeIps: Map<string, string[]>;
  servers: Host[];
  /**
   * People touched by an attack (clicked a phish, had their account taken over). Benign look-alikes are
   * drawn from everyone else, so a benign alert's evidence is not muddied by another scenario's attack.
   */
  tainted: Set<string>;
  /** People in benign look-alikes; never made victims afterwards. */
  bystanders: Set<string>;
}

export function buildWorld(w: LabWriter): World {
  const rng = w.rng;
  const names = rng.shuffle(FIRST.flatMap((f) => LAST.map((l) => [f, l] as const))).slice(0, 60);
  const people: Person[] = names.map(([first, last], index) => {
    const upn = `${first.toLowerCase()}.${last.toLowerCase()}@${DOMAIN}`;
    const department =
      index === 0 || index === 1
        ? "Executive"
        : index < 10
          ? "Finance"
          : index < 13
            ? "IT"
            : rng.pick(DEPARTMENTS);
    const tags =
      index === 0
        ? ["vip", "executive"]
        : index === 1
          ? ["vip", "executive", "finance"]
          : index < 10
            ? ["finance"]
            : index < 13
              ? ["admin"]
              : [];
    const usualCountries = index % 7 === 3 ? ["US", "GB"] : index % 11 === 5 ? ["US", "DE"] : ["US"];
    const user: DirectoryUser = {
      id: rng.guid(),
      userPrincipalName: upn,
      displayName: `${first} ${last}`,
      department,
      jobTitle:
        index === 0
          ? "Chief Executive Officer"
          : index === 1
            ? "Chief Financial Officer"
            : index < 10
              ? "Accountant"
              : index < 13
                ? "Systems Administrator"
                : `${department} Specialist`,
      accountEnabled: true,
      tags,
      usualCountries,
      mfaMethods: ["push", "totp"],
    };
    w.user(user);
    const workstation: Host | null =
      index < 45
        ? {
            id: rng.guid(),
            hostname: `NW-WS-${String(index + 1).padStart(3, "0")}`,
            os: "Windows 11 Enterprise",
            ip: `10.10.1.${index + 10}`,
            tags: ["workstation", ...(tags.includes("vip") ? ["vip"] : [])],
            owner: upn,
            isolated: false,
            lastSeen: w.iso(w.base + 14 * DAY),
          }
        : null;
    if (workstation) w.host(workstation);
    return { user, workstation };
  });
  const servers: Host[] = [
    {
      id: rng.guid(),
      hostname: "NW-SRV-DC01",
      os: "Windows Server 2022",
      ip: "10.10.0.10",
      tags: ["server", "critical_server", "domain_controller"],
      owner: null,
      isolated: false,
      lastSeen: w.iso(w.base + 14 * DAY),
    },
    {
      id: rng.guid(),
      hostname: "NW-SRV-DC02",
      os: "Windows Server 2022",
      ip: "10.10.0.11",
      tags: ["server", "critical_server", "domain_controller"],
      owner: null,
      isolated: false,
      lastSeen: w.iso(w.base + 14 * DAY),
    },
    {
      id: rng.guid(),
      hostname: "NW-SRV-FINDB",
      os: "Windows Server 2022",
      ip: "10.10.0.20",
      tags: ["server", "critical_server", "finance"],
      owner: null,
      isolated: false,
      lastSeen: w.iso(w.base + 14 * DAY),
    },
    {
      id: rng.guid(),
      hostname: "NW-SRV-FILE01",
      os: "Windows Server 2019",
      ip: "10.10.0.30",
      tags: ["server"],
      owner: null,
      isolated: false,
      lastSeen: w.iso(w.base + 14 * DAY),
    },
    {
      id: rng.guid(),
      hostname: SCANNER.hostname,
      os: "Ubuntu 24.04",
      ip: SCANNER.ip,
      tags: ["server", "vulnerability_scanner"],
      owner: null,
      isolated: false,
      lastSeen: w.iso(w.base + 14 * DAY),
    },
  ];
  for (const s of servers) w.host(s);
  w.intelVerdict({
    observable: { type: "ip", value: SCANNER.ip },
    verdict: "harmless",
    sources: ["lab"],
    tags: ["scanner"],
    detail: "internal vulnerability scanner",
  });
  for (let i = 1; i < 255; i += 1) {
    if (i % 16 === 1)
      w.intelVerdict({
        observable: { type: "ip", value: `${VPN_PREFIX}${i}` },
        verdict: "harmless",
        sources: ["lab"],
        tags: ["corporate_vpn"],
        detail: "Northwind VPN egress",
      });
  }
  const homeIps = new Map(people.map((p) => [p.user.userPrincipalName, rng.sample(OFFICE_IPS, 2)]));
  const byTag = (tag: string) => people.filter((p) => p.user.tags.includes(tag));
  const first = people[0];
  const second = people[1];
  if (!first || !second) throw new Error("the lab needs at least two people");
  return {
    people,
    byTag,
    ceo: first,
    cfo: second,
    finance: people.slice(1, 10),
    homeIps,
    servers,
    tainted: new Set(),
    bystanders: new Set(),
  };
}

/** Everyday activity: sign-ins, browsing, newsletters and partner mail at the gateway. */
export function writeBackground(w: LabWriter, world: World): void {
  const rng = w.rng;
  for (const person of world.people) {
    const upn = person.user.userPrincipalName;
    const home = world.homeIps.get(upn) ?? OFFICE_IPS;
    for (let day = -3; day < 15; day++) {
      const morning = w.base + day * DAY + rng.int(0, 2 * HOUR);
      const viaVpn = rng.chance(0.2);
      const ip = viaVpn ? `${VPN_PREFIX}${rng.int(2, 250)}` : rng.pick(home);
      w.signIn({
        id: w.id("si"),
        user: upn,
        timestamp: w.iso(morning),
        ip,
        country: "US",
        city: "Seattle",
        app: "Office 365",
        result: "success",
        userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        deviceCompliant: true,
        riskLevel: "none",
      });
      w.event("signin", morning, {
        "user.name": upn,
        "source.ip": ip,
        "source.geo.country_iso_code": "US",
        "event.outcome": "success",
        "app.name": "Office 365",
      });
      for (let k = 0; k < 2; k++) {
        const at = morning + rng.int(10, 480) * MINUTE;
        const domain = rng.pick(COMMON_SITES);
        w.event("proxy", at, {
          "user.name": upn,
          "url.domain": domain,
          "url.full": `https://${domain}/`,
          "source.ip": person.workstation?.ip ?? "10.10.2.5",
          "http.response.status_code": 200,
          "event.action": "allowed",
        });
      }
    }
  }
}
