/**
 * Identity scenarios: account takeover in its forms (foreign sign-in, MFA push bombing, forwarding rule)
 * beside travellers on the VPN, users on trips, a user's own flaky phone and legitimate rules.
 */
import {
  type Person,
  type World,
  FOREIGN_COUNTRIES,
  HOSTILE_OCTETS,
  HOUR,
  MINUTE,
  VPN_GEO,
  VPN_PREFIX,
} from "../world.ts";
import type { GroundTruth, LabWriter } from "../writer.ts";

const CITY: Record<string, string> = {
  NG: "Lagos",
  RU: "Moscow",
  VN: "Hanoi",
  BR: "Sao Paulo",
  RO: "Bucharest",
  UA: "Kyiv",
  ID: "Jakarta",
  NL: "Amsterdam",
  DE: "Frankfurt",
  SG: "Singapore",
  IE: "Dublin",
  GB: "London",
  US: "Seattle",
};
const alertTime = (w: LabWriter) => w.base + w.rng.int(12, 13 * 24) * HOUR + w.rng.int(0, 59) * MINUTE;

/** People for a malicious scenario (they become tainted) or a benign one (drawn from the untainted). */
function pickPeople(
  w: LabWriter,
  world: World,
  count: number,
  role: "victim" | "bystander",
  filter: (p: Person) => boolean = () => true,
): Person[] {
  const upn = (p: Person) => p.user.userPrincipalName;
  const pool = world.people.filter(
    (p) => filter(p) && (role === "victim" ? !world.bystanders.has(upn(p)) : !world.tainted.has(upn(p))),
  );
  const picked = w.rng.sample(pool, count);
  for (const p of picked) (role === "victim" ? world.tainted : world.bystanders).add(upn(p));
  return picked;
}

/** Attacker infrastructure with intel that says so. */
function hostileIp(w: LabWriter): { ip: string; country: string } {
  const ip = w.rng.publicIp(HOSTILE_OCTETS);
  const country = w.rng.pick(FOREIGN_COUNTRIES);
  const malicious = w.rng.chance(0.7);
  w.intelVerdict({
    observable: { type: "ip", value: ip },
    verdict: malicious ? "malicious" : "suspicious",
    score: malicious ? 85 : 55,
    sources: ["lab"],
    tags: [w.rng.pick(["hosting", "anonymizer"])],
  });
  return { ip, country };
}

/** The user clicked a phishing link some hours before: the start of the takeover. */
function phishClick(w: LabWriter, upn: string, at: number): void {
  const domain = `${w.rng.pick(["secure-login", "account-verify", "o365-auth", "mail-sso"])}-${w.rng.hex(4)}.com`;
  w.intelVerdict({
    observable: { type: "domain", value: domain },
    verdict: "malicious",
    score: 92,
    sources: ["lab"],
    tags: ["phishing", "newly_registered"],
  });
  w.event("proxy", at, {
    "user.name": upn,
    "url.domain": domain,
    "url.full": `https://${domain}/login`,
    "source.ip": "10.10.1.77",
    "http.response.status_code": 200,
    "event.action": "allowed",
  });
}

function signIn(
  w: LabWriter,
  upn: string,
  at: number,
  ip: string,
  country: string,
  result: "success" | "mfa_denied" | "mfa_timeout" | "mfa_approved",
  extra: { compliant: boolean; risk: "none" | "low" | "medium" | "high" },
) {
  const s = w.signIn({
    id: w.id("si"),
    user: upn,
    timestamp: w.iso(at),
    ip,
    country,
    city: CITY[country] ?? null,
    app: "Office 365",
    result,
    userAgent: extra.compliant ? "Mozilla/5.0 (Windows NT 10.0; Win64; x64)" : "python-requests/2.31",
    deviceCompliant: extra.compliant,
    riskLevel: extra.risk,
  });
  w.event("signin", at, {
    "user.name": upn,
    "source.ip": ip,
    "source.geo.country_iso_code": country,
    "event.outcome": result === "success" || result === "mfa_approved" ? "success" : "failure",
    "app.name": "Office 365",
  });
  return s;
}

function travelAlert(
  w: LabWriter,
  upn: string,
  first: { id: string; ip: string; country: string },
  second: { id: string; ip: string; country: string },
  at: number,
  truth: GroundTruth,
): void {
  w.alert(
    {
      family: "identity",
      type: "impossible_travel",
      title: `Impossible travel for ${upn}`,
      description: `Sign-ins from ${first.country} and ${second.country} closer together than travel allows.`,
      severity: "medium",
      createdAt: w.iso(at),
      observables: [
        { type: "user", value: upn, role: "actor" },
        { type: "ip", value: first.ip, role: "source" },
        { type: "ip", value: second.ip, role: "source" },
      ],
      raw: {
        user: upn,
        signInIds: [first.id, second.id],
        countries: [first.country, second.country],
        ips: [first.ip, second.ip],
      },
    },
    truth,
  );
}

function impossibleTravel(w: LabWriter, world: World): void {
  const rng = w.rng;
  for (const person of pickPeople(w, world, 6, "victim")) {
    const upn = person.user.userPrincipalName;
    const t0 = alertTime(w);
    const office = rng.pick(world.homeIps.get(upn) ?? ["192.0.2.10"]);
    const a = signIn(w, upn, t0, office, "US", "success", { compliant: true, risk: "none" });
    phishClick(w, upn, t0 - rng.int(2, 20) * HOUR);
    const attacker = hostileIp(w);
    const t1 = t0 + rng.int(60, 180) * MINUTE;
    const b = signIn(w, upn, t1, attacker.ip, attacker.country, "success", {
      compliant: false,
      risk: rng.pick(["medium", "high"]),
    });
    travelAlert(
      w,
      upn,
      { id: a.id, ip: office, country: "US" },
      { id: b.id, ip: attacker.ip, country: attacker.country },
      t1 + rng.int(5, 20) * MINUTE,
      { disposition: "malicious", category: "account_takeover", scenario: "impossible_travel_attacker" },
    );
  }
  for (const person of pickPeople(w, world, 5, "bystander")) {
    const upn = person.user.userPrincipalName;
    const t0 = alertTime(w);
    const office = rng.pick(world.homeIps.get(upn) ?? ["192.0.2.10"]);
    const a = signIn(w, upn, t0, office, "US", "success", { compliant: true, risk: "none" });
    const vpn = `${VPN_PREFIX}${rng.pick([1, 17, 33, 49, 65])}`;
    const geo = rng.pick(VPN_GEO);
    const t1 = t0 + rng.int(30, 120) * MINUTE;
    const b = signIn(w, upn, t1, vpn, geo, "success", { compliant: true, risk: "low" });
    travelAlert(
      w,
      upn,
      { id: a.id, ip: office, country: "US" },
      { id: b.id, ip: vpn, country: geo },
      t1 + rng.int(5, 20) * MINUTE,
      { disposition: "benign", category: "impossible_travel", scenario: "impossible_travel_corporate_vpn" },
    );
  }
  for (const person of pickPeople(w, world, 4, "bystander", (p) => p.user.usualCountries.length > 1)) {
    const upn = person.user.userPrincipalName;
    const abroad = person.user.usualCountries.find((c) => c !== "US") ?? "GB";
    const t0 = alertTime(w);
    const office = rng.pick(world.homeIps.get(upn) ?? ["192.0.2.10"]);
    const a = signIn(w, upn, t0, office, "US", "success", { compliant: true, risk: "none" });
    const hotel = rng.publicIp([81, 86, 213]);
    w.intelVerdict({
      observable: { type: "ip", value: hotel },
      verdict: "unknown",
      sources: ["lab"],
      tags: [],
    });
    const t1 = t0 + rng.int(90, 240) * MINUTE;
    const b = signIn(w, upn, t1, hotel, abroad, "success", { compliant: true, risk: "low" });
    travelAlert(
      w,
      upn,
      { id: a.id, ip: office, country: "US" },
      { id: b.id, ip: hotel, country: abroad },
      t1 + rng.int(5, 20) * MINUTE,
      { disposition: "benign", category: "impossible_travel", scenario: "impossible_travel_business_trip" },
    );
  }
}

function mfaAlert(
  w: LabWriter,
  upn: string,
  pushCount: number,
  windowMinutes: number,
  sourceIp: string,
  at: number,
  truth: GroundTruth,
): void {
  w.alert(
    {
      family: "identity",
      type: "mfa_fatigue",
      title: `Repeated MFA prompts for ${upn}`,
      description: `${pushCount} MFA push prompts in ${windowMinutes} minutes.`,
      severity: "high",
      createdAt: w.iso(at),
      observables: [
        { type: "user", value: upn, role: "actor" },
        { type: "ip", value: sourceIp, role: "source" },
      ],
      raw: { user: upn, pushCount, windowMinutes, sourceIp },
    },
    truth,
  );
}

function mfaFatigue(w: LabWriter, world: World): void {
  const rng = w.rng;
  for (const person of pickPeople(w, world, 6, "victim")) {
    const upn = person.user.userPrincipalName;
    const attacker = hostileIp(w);
    const start = alertTime(w);
    const pushes = rng.int(8, 25);
    const window = rng.int(10, 30);
    for (let k = 0; k < pushes; k++)
      signIn(
        w,
        upn,
        start + Math.floor((k * window * MINUTE) / pushes),
        attacker.ip,
        attacker.country,
        rng.chance(0.6) ? "mfa_denied" : "mfa_timeout",
        { compliant: false, risk: "medium" },
      );
    const end = start + window * MINUTE;
    signIn(w, upn, end + MINUTE, attacker.ip, attacker.country, "mfa_approved", {
      compliant: false,
      risk: "high",
    });
    mfaAlert(w, upn, pushes + 1, window, attacker.ip, end + rng.int(3, 10) * MINUTE, {
      disposition: "malicious",
      category: "mfa_fatigue",
      scenario: "mfa_push_bombing",
    });
  }
  for (const person of pickPeople(w, world, 6, "bystander")) {
    const upn = person.user.userPrincipalName;
    const ip = rng.pick(world.homeIps.get(upn) ?? ["192.0.2.10"]);
    const start = alertTime(w);
    const prompts = rng.int(3, 6);
    for (let k = 0; k < prompts; k++)
      signIn(w, upn, start + k * 2 * MINUTE, ip, "US", "mfa_timeout", { compliant: true, risk: "none" });
    signIn(w, upn, start + prompts * 2 * MINUTE + MINUTE, ip, "US", "success", {
      compliant: true,
      risk: "none",
    });
    mfaAlert(w, upn, prompts + 1, prompts * 2 + 1, ip, start + (prompts * 2 + 5) * MINUTE, {
      disposition: "benign",
      category: "mfa_fatigue",
      scenario: "mfa_flaky_phone",
    });
  }
}

function ruleAlert(
  w: LabWriter,
  upn: string,
  ruleId: string,
  ruleName: string,
  at: number,
  truth: GroundTruth,
): void {
  w.alert(
    {
      family: "identity",
      type: "suspicious_inbox_rule",
      title: `New inbox rule on ${upn}`,
      description: `Inbox rule "${ruleName}" created that forwards or moves mail.`,
      severity: "medium",
      createdAt: w.iso(at),
      observables: [{ type: "user", value: upn, role: "actor" }],
      raw: { user: upn, ruleId, ruleName },
    },
    truth,
  );
}

function inboxRules(w: LabWriter, world: World): void {
  const rng = w.rng;
  for (const person of pickPeople(w, world, 6, "victim", (p) => !p.user.tags.includes("vip"))) {
    const upn = person.user.userPrincipalName;
    const t0 = alertTime(w);
    phishClick(w, upn, t0 - rng.int(1, 10) * HOUR);
    const attacker = hostileIp(w);
    signIn(w, upn, t0, attacker.ip, attacker.country, "success", {
      compliant: false,
      risk: rng.pick(["low", "medium"]),
    });
    const created = t0 + rng.int(10, 50) * MINUTE;
    const name = rng.pick([".", "..", "Updates", "RSS sync", "fw"]);
    const ruleId = w.id("rule");
    const forward = `${rng.pick(["backup", "archive", "mailcopy", "docs"])}${rng.int(100, 9999)}@${rng.pick(["gmail.com", "proton.me", "outlook.com"])}`;
    w.rule({
      id: ruleId,
      mailbox: upn,
      name,
      enabled: true,
      forwardTo: [forward],
      moveToFolder: rng.chance(0.5) ? "RSS Feeds" : null,
      deleteMessage: rng.chance(0.3),
      conditions: { subjectOrBodyContains: ["invoice", "payment", "wire"] },
      createdAt: w.iso(created),
    });
    w.event("audit", created, {
      "user.name": upn,
      "event.action": "New-InboxRule",
      "source.ip": attacker.ip,
      "rule.name": name,
      "rule.forward_to": forward,
    });
    ruleAlert(w, upn, ruleId, name, created + rng.int(2, 10) * MINUTE, {
      disposition: "malicious",
      category: "account_takeover",
      scenario: "forwarding_rule_after_takeover",
    });
  }
  for (const person of pickPeople(w, world, 6, "bystander")) {
    const upn = person.user.userPrincipalName;
    const created = alertTime(w);
    const ip = rng.pick(world.homeIps.get(upn) ?? ["192.0.2.10"]);
    const ruleId = w.id("rule");
    const assistant = rng.pick(world.people.filter((p) => p.user.userPrincipalName !== upn)).user
      .userPrincipalName;
    const forwardInternal = rng.chance(0.5);
    const name = forwardInternal ? "Copy to assistant" : "Newsletters";
    w.rule({
      id: ruleId,
      mailbox: upn,
      name,
      enabled: true,
      forwardTo: forwardInternal ? [assistant] : [],
      moveToFolder: forwardInternal ? null : "Newsletters",
      deleteMessage: false,
      conditions: forwardInternal ? { fromContains: ["calendar"] } : { headerContains: ["List-Unsubscribe"] },
      createdAt: w.iso(created),
    });
    w.event("audit", created, {
      "user.name": upn,
      "event.action": "New-InboxRule",
      "source.ip": ip,
      "rule.name": name,
      "rule.forward_to": forwardInternal ? assistant : null,
    });
    ruleAlert(w, upn, ruleId, name, created + rng.int(2, 10) * MINUTE, {
      disposition: "benign",
      category: "admin_activity",
      scenario: "legitimate_inbox_rule",
    });
  }
}

function signInAlert(
  w: LabWriter,
  upn: string,
  signInId: string,
  ip: string,
  country: string,
  at: number,
  truth: GroundTruth,
): void {
  w.alert(
    {
      family: "identity",
      type: "suspicious_sign_in",
      title: `Risky sign-in for ${upn}`,
      description: `The identity provider flagged a sign-in from ${country}.`,
      severity: "medium",
      createdAt: w.iso(at),
      observables: [
        { type: "user", value: upn, role: "actor" },
        { type: "ip", value: ip, role: "source" },
      ],
      raw: { user: upn, signInId, ip, country },
    },
    truth,
  );
}

function riskySignIns(w: LabWriter, world: World): void {
  const rng = w.rng;
  for (const person of pickPeople(w, world, 5, "victim")) {
    const upn = person.user.userPrincipalName;
    const t0 = alertTime(w);
    phishClick(w, upn, t0 - rng.int(2, 20) * HOUR);
    const attacker = hostileIp(w);
    const s = signIn(w, upn, t0, attacker.ip, attacker.country, "success", {
      compliant: false,
      risk: rng.pick(["medium", "high"]),
    });
    signInAlert(w, upn, s.id, attacker.ip, attacker.country, t0 + rng.int(3, 15) * MINUTE, {
      disposition: "malicious",
      category: "account_takeover",
      scenario: "risky_sign_in_after_phish",
    });
  }
  for (const person of pickPeople(w, world, 5, "bystander", (p) => p.user.usualCountries.length > 1)) {
    const upn = person.user.userPrincipalName;
    const abroad = person.user.usualCountries.find((c) => c !== "US") ?? "GB";
    const t0 = alertTime(w);
    const ip = rng.publicIp([81, 86, 213]);
    w.intelVerdict({ observable: { type: "ip", value: ip }, verdict: "unknown", sources: ["lab"], tags: [] });
    const s = signIn(w, upn, t0, ip, abroad, "success", { compliant: true, risk: "medium" });
    signInAlert(w, upn, s.id, ip, abroad, t0 + rng.int(3, 15) * MINUTE, {
      disposition: "benign",
      category: "impossible_travel",
      scenario: "risky_sign_in_known_country",
    });
  }
}

export function identityScenarios(w: LabWriter, world: World): void {
  impossibleTravel(w, world);
  mfaFatigue(w, world);
  inboxRules(w, world);
  riskySignIns(w, world);
}
