/**
 * Identity alerts (impossible travel, MFA fatigue, inbox rules, risky sign-ins): the user's directory
 * record and sign-in history, intel on the IPs involved, inbox rules and admin audit, and whether the user
 * visited a phishing site shortly before.
 */
import { z } from "zod";
import { isSameOrSubdomain } from "../../../../tools/analyzers/domains.ts";
import {
  analyzeInboxRule,
  analyzeMfaPrompts,
  analyzeSignIns,
  foreignSignIns,
  phishClickSignals,
  type Cited,
  type IdentityContext,
} from "../../../../tools/analyzers/identity.ts";
import { ipInAny } from "../../../../tools/analyzers/net.ts";
import type { Signal } from "../../../../tools/analyzers/signal.ts";
import type { ToolCall } from "../../../../tools/catalog.ts";
import {
  directoryUserSchema,
  inboxRuleSchema,
  intelVerdictSchema,
  signInSchema,
  siemEventSchema,
  type IntelVerdict,
  type ProposedActionInput,
} from "../../../../core/domain.ts";
import type { ReasonerContext } from "../../types.ts";
import { ALERT_EVIDENCE_ID } from "../../../../core/ids.ts";
import { call, DAY, HOUR, resultOf, shiftIso } from "../evidence.ts";
import type { Playbook } from "../playbook.ts";
import { closeCase, draftAction, escalateCase } from "../actions.ts";

const identityRawSchema = z.object({
  user: z.string().min(1),
  signInIds: z.array(z.string()).optional(),
  signInId: z.string().optional(),
  ips: z.array(z.string()).optional(),
  ip: z.string().optional(),
  sourceIp: z.string().optional(),
  ruleId: z.string().optional(),
  windowMinutes: z.number().optional(),
});
type IdentityRaw = z.infer<typeof identityRawSchema>;

const MAX_IP_LOOKUPS = 6;
const MAX_DOMAIN_LOOKUPS = 10;

function rawOf(ctx: ReasonerContext): IdentityRaw | null {
  const parsed = identityRawSchema.safeParse(ctx.alert.raw);
  if (parsed.success) return parsed.data;
  const user = ctx.alert.observables.find(
    (o) => o.type === "user" || (o.type === "email" && o.role === "actor"),
  )?.value;
  return user ? { user } : null;
}

const flaggedIps = (raw: IdentityRaw) => [
  ...new Set([...(raw.ips ?? []), ...(raw.ip ? [raw.ip] : []), ...(raw.sourceIp ? [raw.sourceIp] : [])]),
];
const flaggedSignInIds = (raw: IdentityRaw) => [
  ...(raw.signInIds ?? []),
  ...(raw.signInId ? [raw.signInId] : []),
];

const userCall = (raw: IdentityRaw) => call("identity_get_user", { user: raw.user });
const signInsCall = (ctx: ReasonerContext, raw: IdentityRaw) =>
  call("identity_sign_ins", {
    user: raw.user,
    since: shiftIso(ctx.alert.createdAt, -3 * DAY),
    until: shiftIso(ctx.alert.createdAt, HOUR),
    limit: 500,
  });
const rulesCall = (raw: IdentityRaw) => call("mail_list_inbox_rules", { mailbox: raw.user });
const proxyCall = (ctx: ReasonerContext, raw: IdentityRaw) =>
  call("siem_search", {
    dataset: "proxy",
    where: [{ field: "user.name", op: "eq", value: raw.user }],
    from: shiftIso(ctx.alert.createdAt, -DAY),
    to: ctx.alert.createdAt,
    limit: 1000,
  });
const auditCall = (ctx: ReasonerContext, raw: IdentityRaw) =>
  call("siem_search", {
    dataset: "audit",
    where: [{ field: "user.name", op: "eq", value: raw.user }],
    from: shiftIso(ctx.alert.createdAt, -3 * DAY),
    to: shiftIso(ctx.alert.createdAt, HOUR),
    limit: 200,
  });
const ipIntelCall = (ip: string) => call("intel_lookup", { type: "ip", value: ip });
const domainIntelCall = (domain: string) => call("intel_lookup", { type: "domain", value: domain });

const signInsSchema = z.array(signInSchema);
const eventsSchema = z.array(siemEventSchema);
const rulesSchema = z.array(inboxRuleSchema);

interface Gathered {
  raw: IdentityRaw;
  user: Cited<z.infer<typeof directoryUserSchema>> | null;
  signIns: Cited<z.infer<typeof signInsSchema>> | null;
  proxy: Cited<z.infer<typeof eventsSchema>> | null;
  rules: Cited<z.infer<typeof rulesSchema>> | null;
}

function gather(ctx: ReasonerContext, raw: IdentityRaw): Gathered {
  return {
    raw,
    user: resultOf(ctx.evidence, userCall(raw), directoryUserSchema),
    signIns: resultOf(ctx.evidence, signInsCall(ctx, raw), signInsSchema),
    proxy: resultOf(ctx.evidence, proxyCall(ctx, raw), eventsSchema),
    rules: resultOf(ctx.evidence, rulesCall(raw), rulesSchema),
  };
}

function identityContext(
  ctx: ReasonerContext,
  g: Gathered,
  intel: Array<Cited<IntelVerdict>>,
): IdentityContext {
  return {
    user: g.user,
    signIns: g.signIns,
    flaggedSignInIds: flaggedSignInIds(g.raw),
    flaggedIps: flaggedIps(g.raw),
    intel,
    corporateEgressCidrs: ctx.organization.corporateEgressCidrs,
    internalDomains: ctx.organization.internalDomains,
    alertEvidenceId: ALERT_EVIDENCE_ID,
  };
}

/** IPs worth asking intel about: the flagged ones, then foreign successful sign-ins. */
function ipsToLookUp(ctx: ReasonerContext, g: Gathered): string[] {
  const flagged = flaggedIps(g.raw);
  const flaggedById = (g.signIns?.value ?? [])
    .filter((s) => flaggedSignInIds(g.raw).includes(s.id))
    .map((s) => s.ip);
  const foreign = g.user && g.signIns ? foreignSignIns(identityContext(ctx, g, [])).map((s) => s.ip) : [];
  const candidates = [...new Set([...flagged, ...flaggedById, ...foreign])];
  return candidates
    .filter((ip) => !ipInAny(ip, ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]))
    .slice(0, MAX_IP_LOOKUPS);
}

/** Web domains the user visited before the alert, rarest first: a phishing page is visited once or twice. */
function visitedDomains(ctx: ReasonerContext, g: Gathered): Array<{ domain: string; at: string }> {
  const counts = new Map<string, { count: number; at: string }>();
  for (const e of g.proxy?.value ?? []) {
    const domain = e.fields["url.domain"];
    if (typeof domain !== "string" || !domain) continue;
    if (ctx.organization.internalDomains.some((d) => isSameOrSubdomain(domain, d))) continue;
    const seen = counts.get(domain);
    counts.set(domain, { count: (seen?.count ?? 0) + 1, at: seen?.at ?? e.timestamp });
  }
  return [...counts.entries()]
    .sort((a, b) => a[1].count - b[1].count || (a[0] < b[0] ? -1 : 1))
    .slice(0, MAX_DOMAIN_LOOKUPS)
    .map(([domain, v]) => ({ domain, at: v.at }));
}

function intelOf(ctx: ReasonerContext, calls: ToolCall[]): Array<Cited<IntelVerdict>> {
  return calls.flatMap((c) => resultOf(ctx.evidence, c, intelVerdictSchema) ?? []);
}

export function identityPlaybook(kind: "travel" | "mfa" | "rule" | "sign_in"): Playbook {
  return {
    name: `identity/${kind}`,
    prior: -0.5,
    fallbackCategory:
      kind === "mfa"
        ? { malicious: "mfa_fatigue", benign: "mfa_fatigue" }
        : kind === "rule"
          ? { malicious: "account_takeover", benign: "admin_activity" }
          : { malicious: "account_takeover", benign: "impossible_travel" },

    async calls(ctx) {
      const raw = rawOf(ctx);
      if (!raw) return [];
      const calls: ToolCall[] = [userCall(raw), signInsCall(ctx, raw), proxyCall(ctx, raw)];
      if (kind === "rule") calls.push(rulesCall(raw), auditCall(ctx, raw));
      const g = gather(ctx, raw);
      if (g.signIns || flaggedIps(raw).length) calls.push(...ipsToLookUp(ctx, g).map(ipIntelCall));
      if (g.proxy) calls.push(...visitedDomains(ctx, g).map((d) => domainIntelCall(d.domain)));
      return calls;
    },

    async signals(ctx) {
      const raw = rawOf(ctx);
      if (!raw) return [];
      const g = gather(ctx, raw);
      const intel = intelOf(ctx, ipsToLookUp(ctx, g).map(ipIntelCall));
      const ictx = identityContext(ctx, g, intel);
      const out: Signal[] = [...analyzeSignIns(ictx)];
      if (kind === "mfa") {
        const windowMinutes = raw.windowMinutes ?? 30;
        out.push(
          ...analyzeMfaPrompts(
            ictx,
            shiftIso(ctx.alert.createdAt, -(windowMinutes + 30) * 60_000),
            shiftIso(ctx.alert.createdAt, 10 * 60_000),
          ),
        );
      }
      if (kind === "rule" && g.rules) {
        const rule = g.rules.value.find((r) => r.id === raw.ruleId) ?? null;
        if (rule) out.push(...analyzeInboxRule(ictx, { value: rule, evidenceId: g.rules.evidenceId }));
      }
      if (g.proxy) {
        const clicks = visitedDomains(ctx, g).flatMap((d) => {
          const found = resultOf(ctx.evidence, domainIntelCall(d.domain), intelVerdictSchema);
          return found && g.proxy
            ? [{ domain: d.domain, at: d.at, proxyEvidenceId: g.proxy.evidenceId, intel: found }]
            : [];
        });
        out.push(...phishClickSignals(clicks));
      }
      return out;
    },

    async actions(ctx) {
      const raw = rawOf(ctx);
      const { verdict } = ctx;
      if (!raw) return [escalateCase(ctx.alert.id, verdict, "The alert names no user")];
      if (verdict.disposition === "benign") return [closeCase(ctx.alert.id, verdict)];
      if (verdict.disposition === "suspicious") return [escalateCase(ctx.alert.id, verdict)];
      const g = gather(ctx, raw);
      const ev = verdict.evidenceIds;
      const actions: ProposedActionInput[] = [
        draftAction({
          type: "revoke_sessions",
          target: raw.user,
          targetKind: "user",
          reason: "End every session the attacker may hold",
          evidenceIds: ev,
        }),
        draftAction({
          type: "reset_password",
          target: raw.user,
          targetKind: "user",
          reason: "The password is known to the attacker",
          evidenceIds: ev,
        }),
      ];
      const intel = intelOf(ctx, ipsToLookUp(ctx, g).map(ipIntelCall));
      const hostile = new Set([
        ...intel
          .filter((i) => i.value.verdict === "malicious" || i.value.verdict === "suspicious")
          .map((i) => i.value.observable.value),
        ...foreignSignIns(identityContext(ctx, g, intel)).map((s) => s.ip),
      ]);
      for (const ip of [...hostile].slice(0, 5)) {
        actions.push(
          draftAction({
            type: "block_ip",
            target: ip,
            targetKind: "ip",
            reason: `Block the attacker's address ${ip}`,
            evidenceIds: ev,
          }),
        );
      }
      const external = (g.rules?.value ?? []).filter((r) =>
        r.forwardTo.some(
          (a) => !ctx.organization.internalDomains.some((d) => a.toLowerCase().endsWith(`@${d}`)),
        ),
      );
      for (const rule of external) {
        actions.push(
          draftAction({
            type: "remove_inbox_rule",
            target: rule.id,
            targetKind: "mailbox",
            reason: `Remove the forwarding rule "${rule.name}"`,
            params: { mailbox: raw.user },
            evidenceIds: g.rules ? [g.rules.evidenceId] : ev,
          }),
        );
      }
      return actions;
    },
  };
}
