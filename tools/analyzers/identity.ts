/**
 * Findings about sign-ins, MFA prompts and inbox rules. Pure: sign-ins, the directory record, rules and
 * intel verdicts were fetched by tools and are cited by evidence id.
 */
import type { DirectoryUser, InboxRule, IntelVerdict, SignIn } from "../../core/domain.ts";
import { isSameOrSubdomain, isFreeMailDomain, domainOfAddress } from "./domains.ts";
import { ipInAny } from "./net.ts";
import { signal, type Signal } from "./signal.ts";

export interface Cited<T> {
  value: T;
  evidenceId: string;
}

export interface IdentityContext {
  user: Cited<DirectoryUser> | null;
  /** Every sign-in of the user in the investigation window. */
  signIns: Cited<SignIn[]> | null;
  /** The sign-ins (or source IPs) the alert is about. */
  flaggedSignInIds: readonly string[];
  flaggedIps: readonly string[];
  intel: ReadonlyArray<Cited<IntelVerdict>>;
  corporateEgressCidrs: readonly string[];
  internalDomains: readonly string[];
  alertEvidenceId: string;
}

const successful = (s: SignIn) => s.result === "success" || s.result === "mfa_approved";

function intelFor(ctx: IdentityContext, ip: string): Cited<IntelVerdict> | undefined {
  return ctx.intel.find((i) => i.value.observable.type === "ip" && i.value.observable.value === ip);
}

function isCorporate(ctx: IdentityContext, ip: string): boolean {
  return (
    ipInAny(ip, ctx.corporateEgressCidrs) ||
    (intelFor(ctx, ip)?.value.tags.includes("corporate_vpn") ?? false)
  );
}

/** Successful sign-ins from a country the user does not usually sign in from, outside corporate egress. */
export function foreignSignIns(ctx: IdentityContext): SignIn[] {
  const usual = new Set(ctx.user?.value.usualCountries ?? []);
  return (ctx.signIns?.value ?? []).filter(
    (s) => successful(s) && s.country && usual.size > 0 && !usual.has(s.country) && !isCorporate(ctx, s.ip),
  );
}

function ipSignals(ctx: IdentityContext, ips: readonly string[]): Signal[] {
  const out: Signal[] = [];
  for (const ip of new Set(ips)) {
    const intel = intelFor(ctx, ip);
    if (!intel) continue;
    const ev = [intel.evidenceId];
    const tags = intel.value.tags;
    if (intel.value.verdict === "malicious")
      out.push(
        signal(
          "identity.ip.malicious",
          `Threat intel: ${ip} is malicious${tags.length ? ` (${tags.join(", ")})` : ""}`,
          2.5,
          ev,
          { category: "account_takeover", attack: ["T1078"] },
        ),
      );
    else if (intel.value.verdict === "suspicious")
      out.push(
        signal(
          "identity.ip.suspicious",
          `Threat intel: ${ip} is suspicious${tags.length ? ` (${tags.join(", ")})` : ""}`,
          1.2,
          ev,
          { category: "account_takeover" },
        ),
      );
    if (tags.some((t) => t === "hosting" || t === "anonymizer" || t === "tor" || t === "proxy")) {
      out.push(
        signal("identity.ip.hosting", `${ip} is hosting or anonymizing infrastructure`, 0.8, ev, {
          attack: ["T1090"],
        }),
      );
    }
  }
  return dedupe(out);
}

/** What the flagged sign-ins say: where from, how risky, on what device. */
export function analyzeSignIns(ctx: IdentityContext): Signal[] {
  const all = ctx.signIns?.value ?? [];
  const signInEv = ctx.signIns ? [ctx.signIns.evidenceId] : [ctx.alertEvidenceId];
  const flagged = all.filter((s) => ctx.flaggedSignInIds.includes(s.id) || ctx.flaggedIps.includes(s.ip));
  const out: Signal[] = [];
  const usual = new Set(ctx.user?.value.usualCountries ?? []);
  const userEv = ctx.user ? [ctx.user.evidenceId] : [];
  const ips = [...new Set([...ctx.flaggedIps, ...flagged.map((s) => s.ip)])];
  const corporate = ips.filter((ip) => isCorporate(ctx, ip));
  if (corporate.length) {
    const intelEv = corporate.flatMap((ip) => intelFor(ctx, ip)?.evidenceId ?? []);
    out.push(
      signal(
        "identity.signin.corporate_egress",
        `Sign-in through corporate egress ${corporate.join(", ")}`,
        -3,
        [...signInEv, ...intelEv],
        {
          category: "impossible_travel",
          detail: "the VPN's exit is geolocated elsewhere; the user did not travel",
        },
      ),
    );
  }
  const foreign = foreignSignIns(ctx).filter((s) => flagged.length === 0 || flagged.includes(s));
  if (foreign.length) {
    const countries = [...new Set(foreign.map((s) => s.country))].join(", ");
    out.push(
      signal(
        "identity.signin.unusual_country",
        `Successful sign-in from ${countries}, where the user never signs in`,
        1.5,
        [...signInEv, ...userEv],
        { category: "account_takeover", attack: ["T1078"] },
      ),
    );
  } else {
    const flaggedForeignButUsual = flagged.filter(
      (s) => s.country && usual.has(s.country) && !isCorporate(ctx, s.ip),
    );
    if (flagged.length && flaggedForeignButUsual.length === flagged.length) {
      out.push(
        signal(
          "identity.signin.usual_country",
          `Every flagged sign-in is from a country the user usually signs in from`,
          -1.5,
          [...signInEv, ...userEv],
          { category: "impossible_travel" },
        ),
      );
    }
  }
  const risk = flagged.map((s) => s.riskLevel).filter((r) => r === "high" || r === "medium");
  if (risk.includes("high"))
    out.push(
      signal(
        "identity.signin.high_risk",
        "The identity provider rated a flagged sign-in high risk",
        0.8,
        signInEv,
      ),
    );
  else if (risk.includes("medium"))
    out.push(
      signal(
        "identity.signin.medium_risk",
        "The identity provider rated a flagged sign-in medium risk",
        0.4,
        signInEv,
      ),
    );
  const successfulFlagged = flagged.filter(successful);
  if (successfulFlagged.some((s) => s.deviceCompliant === false))
    out.push(
      signal(
        "identity.signin.unmanaged_device",
        "A flagged sign-in came from an unmanaged device",
        0.5,
        signInEv,
      ),
    );
  else if (successfulFlagged.length && successfulFlagged.every((s) => s.deviceCompliant === true))
    out.push(
      signal(
        "identity.signin.managed_device",
        "Flagged sign-ins came from a managed, compliant device",
        -0.5,
        signInEv,
      ),
    );
  return [...out, ...ipSignals(ctx, ips)];
}

/** Push bombing: many denied or unanswered prompts from one place, then an approval. */
export function analyzeMfaPrompts(ctx: IdentityContext, windowStart: string, windowEnd: string): Signal[] {
  const all = (ctx.signIns?.value ?? []).filter(
    (s) => s.timestamp >= windowStart && s.timestamp <= windowEnd,
  );
  const ev = ctx.signIns ? [ctx.signIns.evidenceId] : [ctx.alertEvidenceId];
  const out: Signal[] = [];
  const rejected = all.filter((s) => s.result === "mfa_denied" || s.result === "mfa_timeout");
  const byIp = new Map<string, number>();
  for (const s of rejected) byIp.set(s.ip, (byIp.get(s.ip) ?? 0) + 1);
  const [burstIp, burstCount] = [...byIp.entries()].sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
  if (burstCount >= 8) {
    out.push(
      signal(
        "identity.mfa.push_burst",
        `${burstCount} MFA prompts denied or ignored from ${burstIp}`,
        1.5,
        ev,
        { category: "mfa_fatigue", attack: ["T1621"] },
      ),
    );
    const approved = all.find((s) => s.ip === burstIp && successful(s));
    if (approved)
      out.push(
        signal(
          "identity.mfa.approved_after_burst",
          `A prompt from ${burstIp} was finally approved at ${approved.timestamp}`,
          1.5,
          ev,
          { category: "mfa_fatigue", attack: ["T1621", "T1078"] },
        ),
      );
  }
  const usual = new Set(ctx.user?.value.usualCountries ?? []);
  const promptIps = new Set(all.map((s) => s.ip));
  const knownIps = new Set(
    (ctx.signIns?.value ?? []).filter((s) => successful(s) && s.timestamp < windowStart).map((s) => s.ip),
  );
  const homely =
    [...promptIps].every((ip) => isCorporate(ctx, ip) || knownIps.has(ip)) &&
    all.every((s) => !s.country || usual.has(s.country));
  if (all.length > 0 && homely) {
    out.push(
      signal(
        "identity.mfa.prompts_from_usual_place",
        "Every prompt came from an IP and country the user normally signs in from",
        -1,
        ev,
        { category: "mfa_fatigue" },
      ),
    );
  }
  return out;
}

/** Forwarding and hiding rules, and whether one was made right after an unusual sign-in. */
export function analyzeInboxRule(ctx: IdentityContext, rule: Cited<InboxRule>): Signal[] {
  const out: Signal[] = [];
  const ev = [rule.evidenceId];
  const r = rule.value;
  const external = r.forwardTo.filter(
    (a) => !ctx.internalDomains.some((d) => isSameOrSubdomain(domainOfAddress(a), d)),
  );
  if (external.length) {
    out.push(
      signal(
        "identity.rule.external_forward",
        `Rule "${r.name}" forwards mail outside to ${external.join(", ")}`,
        1.5,
        ev,
        { category: "account_takeover", attack: ["T1114.003"] },
      ),
    );
    if (external.some((a) => isFreeMailDomain(domainOfAddress(a))))
      out.push(
        signal("identity.rule.freemail_forward", "The forwarding address is free mail", 1, ev, {
          category: "account_takeover",
        }),
      );
  } else if (r.forwardTo.length) {
    out.push(
      signal(
        "identity.rule.internal_forward",
        `Rule "${r.name}" forwards only to internal addresses`,
        -1.5,
        ev,
        { category: "admin_activity" },
      ),
    );
  }
  const hiddenFolder =
    /^(rss( feeds)?|conversation history|archive|junk( email)?|deleted items|notes|\.|\s*)$/i;
  if (r.deleteMessage || (r.moveToFolder && hiddenFolder.test(r.moveToFolder) && external.length)) {
    out.push(
      signal(
        "identity.rule.hides_mail",
        `Rule "${r.name}" deletes or hides mail${r.moveToFolder ? ` (to ${r.moveToFolder})` : ""}`,
        1,
        ev,
        { attack: ["T1564.008"], category: "account_takeover" },
      ),
    );
  } else if (!r.forwardTo.length && r.moveToFolder && !r.deleteMessage) {
    out.push(
      signal("identity.rule.move_only", `Rule "${r.name}" only files mail into ${r.moveToFolder}`, -1, ev, {
        category: "admin_activity",
      }),
    );
  }
  if (r.createdAt) {
    const created = Date.parse(r.createdAt);
    const before = foreignSignIns(ctx).filter((s) => {
      const t = Date.parse(s.timestamp);
      return t <= created && created - t <= 2 * 3_600_000;
    });
    if (before.length) {
      const ips = [...new Set(before.map((s) => s.ip))];
      out.push(
        signal(
          "identity.rule.after_unusual_sign_in",
          `Created within 2 h of a sign-in from ${before.map((s) => s.country).join(", ")}`,
          2,
          [...ev, ...(ctx.signIns ? [ctx.signIns.evidenceId] : [])],
          { category: "account_takeover", attack: ["T1078", "T1114.003"], detail: `from ${ips.join(", ")}` },
        ),
      );
    }
  }
  return out;
}

/** The user clicked a link that intel calls phishing, shortly before the alert. */
export function phishClickSignals(
  clicks: ReadonlyArray<{ domain: string; at: string; proxyEvidenceId: string; intel: Cited<IntelVerdict> }>,
): Signal[] {
  const bad = clicks.filter(
    (c) => c.intel.value.verdict === "malicious" || c.intel.value.tags.includes("phishing"),
  );
  if (!bad.length) return [];
  return [
    signal(
      "identity.user.clicked_phish",
      `The user visited ${[...new Set(bad.map((c) => c.domain))].join(", ")}, known phishing, shortly before`,
      1.5,
      bad.flatMap((c) => [c.proxyEvidenceId, c.intel.evidenceId]),
      { category: "account_takeover", attack: ["T1566.002"] },
    ),
  ];
}

function dedupe(signals: Signal[]): Signal[] {
  const seen = new Set<string>();
  return signals.filter((s) => (seen.has(s.id) ? false : (seen.add(s.id), true)));
}
