/**
 * User-reported email: read the reported copy, find every copy, ask intel about the sender, links and
 * attachments, check the sender's history at the gateway and who clicked.
 */
import { z } from "zod";
import {
  isFreeMailDomain,
  isSameOrSubdomain,
  registrableDomain,
} from "../../../../tools/analyzers/domains.ts";
import {
  analyzeEmail,
  type CitedIntel,
  type EmailContext,
} from "../../../../tools/analyzers/email/signals.ts";
import { parseEmail, type EmailFacts } from "../../../../tools/analyzers/email/parse.ts";
import type { Signal } from "../../../../tools/analyzers/signal.ts";
import type { ToolCall } from "../../../../tools/catalog.ts";
import {
  intelVerdictSchema,
  mailboxMessageSchema,
  siemEventSchema,
  type MailboxMessage,
  type ProposedActionInput,
} from "../../../../core/domain.ts";
import type { Assessment, ReasonerContext } from "../../types.ts";
import { call, DAY, HOUR, resultOf, shiftIso } from "../evidence.ts";
import type { Playbook } from "../playbook.ts";
import { closeCase, draftAction, escalateCase } from "../actions.ts";
import { loadEmailModel } from "../model/email-model.ts";
import { emailFeatureVector } from "../../../../tools/analyzers/email/features.ts";
import { modelSignals } from "../../../../tools/analyzers/email/model-signals.ts";

// The lab and `triage email` name the reported copy (mailbox + mail-system id). A vendor's alert usually
// names only the Internet Message-ID and a recipient: the copy is then found with a search first.
const reportedRawSchema = z.object({
  reporter: z.string().optional(),
  mailbox: z.string().min(1).optional(),
  mailId: z.string().min(1).optional(),
  internetMessageId: z.string().optional(),
});

const messageDataSchema = z.object({ mailbox: z.string(), id: z.string(), raw: z.string() });
const MAX_URL_LOOKUPS = 5;
const MAX_HASH_LOOKUPS = 5;

interface Located {
  mailbox: string;
  mailId: string;
}

interface Reported {
  /** The copy to read, once known. */
  located: Located | null;
  messageId: string | undefined;
  reporter: string | undefined;
  /** The mailbox search that finds the copy when no Message-ID is known. */
  search: ToolCall | null;
}

const copiesSchema = z.array(mailboxMessageSchema);
const copiesCall = (messageId: string) => call("mail_find_messages", { messageId, limit: 1000 });

/**
 * Without a Message-ID, the reported copy is the newest message from the sender in the reporter's (or
 * recipient's) mailbox up to the alert, as an analyst would look for it.
 */
const senderSearchCall = (sender: string, mailbox: string, until: string) =>
  call("mail_find_messages", { from: sender, mailbox, until, limit: 20 });

function reportedOf(ctx: ReasonerContext): Reported | null {
  const raw = reportedRawSchema.safeParse(ctx.alert.raw);
  if (!raw.success) return null;
  const observed = (type: string, role?: string) =>
    ctx.alert.observables.find((o) => o.type === type && (role === undefined || o.role === role))?.value;
  const messageId = raw.data.internetMessageId ?? observed("message_id");
  const reporter = raw.data.reporter ?? observed("email", "reporter");
  const owner = raw.data.mailbox ?? reporter ?? observed("email", "recipient");
  const sender = observed("email", "sender");
  let located: Located | null =
    raw.data.mailbox && raw.data.mailId ? { mailbox: raw.data.mailbox, mailId: raw.data.mailId } : null;
  let search: ToolCall | null = null;
  if (!located && messageId) {
    // Prefer the copy of whoever reported or received it; any copy has the same content.
    const copies = resultOf(ctx.evidence, copiesCall(messageId), copiesSchema)?.value ?? [];
    const copy = copies.find((c) => c.mailbox.toLowerCase() === owner?.toLowerCase()) ?? copies[0];
    if (copy) located = { mailbox: copy.mailbox, mailId: copy.id };
  } else if (!located && sender && owner) {
    search = senderSearchCall(sender, owner, ctx.alert.createdAt);
    const found = resultOf(ctx.evidence, search, copiesSchema)?.value ?? [];
    const newest = found.reduce<MailboxMessage | null>(
      (best, m) => (!best || Date.parse(m.receivedAt) > Date.parse(best.receivedAt) ? m : best),
      null,
    );
    if (newest) located = { mailbox: newest.mailbox, mailId: newest.id };
  }
  if (!located && !messageId && !search) return null;
  return { located, messageId, reporter, search };
}

const messageCall = (at: Located) => call("mail_get_message", { mailbox: at.mailbox, id: at.mailId });
const userCall = (user: string) => call("identity_get_user", { user });
const intelCall = (type: "domain" | "url" | "file_hash" | "email", value: string) =>
  call("intel_lookup", { type, value });

const HISTORY_DAYS = 60;

/**
 * The sender's earlier mail in the organization's logs. The window ends at the alert, never at the
 * message's Date header, which the sender writes. None when the logs are not this organization's.
 */
function historyCall(ctx: ReasonerContext, facts: EmailFacts): ToolCall | null {
  if (!facts.from || !ctx.organizationLogs) return null;
  const until = ctx.alert.createdAt;
  const where: Array<Record<string, unknown>> = [
    { field: "email.from.address", op: "eq", value: facts.from.address },
  ];
  if (facts.messageId) where.push({ field: "email.message_id", op: "neq", value: facts.messageId });
  return call("siem_search", {
    dataset: "mail",
    where,
    from: shiftIso(until, -HISTORY_DAYS * DAY),
    to: until,
    limit: 1000,
  });
}

/** Distinct messages and days in the sender's delivery events (one event per recipient at most gateways). */
function senderHistory(ctx: ReasonerContext, facts: EmailFacts): EmailContext["senderHistory"] {
  if (!ctx.organizationLogs)
    return {
      unavailable:
        "the SIEM's mail logs are not this message's organization's (a file triaged against the lab)",
    };
  const history = historyCall(ctx, facts);
  const events = history ? resultOf(ctx.evidence, history, eventsSchema) : null;
  if (!events) return null;
  const messages = new Set(
    events.value.map((e) => {
      const id = e.fields["email.message_id"];
      return typeof id === "string" && id ? id : e.id;
    }),
  );
  const days = new Set(events.value.map((e) => e.timestamp.slice(0, 10)));
  return {
    messages: messages.size,
    days: days.size,
    windowDays: HISTORY_DAYS,
    evidenceId: events.evidenceId,
  };
}

function linkDomains(facts: EmailFacts, internal: readonly string[]): string[] {
  return [
    ...new Set(
      facts.links.map((l) => l.domain).filter((d) => d && !internal.some((i) => isSameOrSubdomain(d, i))),
    ),
  ];
}

function clicksCall(ctx: ReasonerContext, facts: EmailFacts): ToolCall | null {
  const domains = linkDomains(facts, ctx.organization.internalDomains);
  if (!domains.length) return null;
  return call("siem_search", {
    dataset: "proxy",
    where: [{ field: "url.domain", op: "in", value: domains.slice(0, 20) }],
    from: shiftIso(ctx.alert.createdAt, -2 * DAY),
    to: shiftIso(ctx.alert.createdAt, HOUR),
    limit: 1000,
  });
}

function lookupCalls(ctx: ReasonerContext, facts: EmailFacts): ToolCall[] {
  const calls: ToolCall[] = [];
  if (facts.from?.domain && !isFreeMailDomain(facts.from.domain))
    calls.push(intelCall("domain", facts.from.domain));
  if (facts.from?.address && isFreeMailDomain(facts.from.domain))
    calls.push(intelCall("email", facts.from.address));
  const external = facts.links.filter(
    (l) => l.domain && !ctx.organization.internalDomains.some((d) => isSameOrSubdomain(l.domain, d)),
  );
  const urls = [...new Set(external.map((l) => l.href))].slice(0, MAX_URL_LOOKUPS);
  for (const url of urls) calls.push(intelCall("url", url));
  for (const domain of linkDomains(facts, ctx.organization.internalDomains).slice(0, 3)) {
    if (domain !== facts.from?.domain) calls.push(intelCall("domain", domain));
  }
  for (const a of facts.attachments.slice(0, MAX_HASH_LOOKUPS)) calls.push(intelCall("file_hash", a.sha256));
  return calls;
}

async function factsOf(
  ctx: ReasonerContext,
  r: Reported,
): Promise<{ facts: EmailFacts; evidenceId: string } | null> {
  if (!r.located) return null;
  const message = resultOf(ctx.evidence, messageCall(r.located), messageDataSchema);
  if (!message) return null;
  return { facts: await parseEmail(message.value.raw), evidenceId: message.evidenceId };
}

const eventsSchema = z.array(siemEventSchema);

export const emailPlaybook: Playbook = {
  name: "user-reported email",
  // The trained model's intercept and operating points (see evals/email/train.ts).
  get prior() {
    return loadEmailModel().model.bias;
  },
  get thresholds() {
    return loadEmailModel().thresholds;
  },
  fallbackCategory: { malicious: "credential_phishing", benign: "graymail" },

  async calls(ctx) {
    const r = reportedOf(ctx);
    if (!r) return [];
    const calls: ToolCall[] = r.located ? [messageCall(r.located)] : [];
    if (r.search) calls.push(r.search);
    if (r.messageId) calls.push(copiesCall(r.messageId));
    if (r.reporter) calls.push(userCall(r.reporter));
    const parsed = await factsOf(ctx, r);
    if (parsed) {
      const { facts } = parsed;
      if (!r.messageId && facts.messageId) calls.push(copiesCall(facts.messageId));
      const history = historyCall(ctx, facts);
      if (history) calls.push(history);
      const clicks = clicksCall(ctx, facts);
      if (clicks) calls.push(clicks);
      calls.push(...lookupCalls(ctx, facts));
    }
    return calls;
  },

  async signals(ctx) {
    const r = reportedOf(ctx);
    if (!r) return [];
    const parsed = await factsOf(ctx, r);
    if (!parsed) return [];
    const { facts } = parsed;
    const intel: CitedIntel[] = lookupCalls(ctx, facts).flatMap((c) => {
      const found = resultOf(ctx.evidence, c, intelVerdictSchema);
      return found ? [{ verdict: found.value, evidenceId: found.evidenceId }] : [];
    });
    const signals: Signal[] = analyzeEmail({
      facts,
      messageEvidenceId: parsed.evidenceId,
      internalDomains: ctx.organization.internalDomains,
      protectedDomains: ctx.organization.protectedDomains,
      simulationSenderDomains: ctx.organization.simulationSenderDomains,
      protectedPeople: ctx.organization.protectedPeople,
      intel,
      senderHistory: senderHistory(ctx, facts),
    });
    return modelSignals(
      loadEmailModel().model,
      emailFeatureVector(facts, signals),
      signals,
      parsed.evidenceId,
    );
  },

  async actions(ctx) {
    const r = reportedOf(ctx);
    const parsed = r ? await factsOf(ctx, r) : null;
    return emailActions(ctx, parsed?.facts);
  },
};

/** The message's links that intel called malicious, each with the lookup that said so, in message order. */
function maliciousLinks(
  ctx: ReasonerContext,
  facts: EmailFacts,
): Array<{ href: string; evidenceId: string }> {
  return [...new Set(facts.links.map((l) => l.href))].flatMap((href) => {
    const found = resultOf(ctx.evidence, intelCall("url", href), intelVerdictSchema);
    return found?.value.verdict === "malicious" ? [{ href, evidenceId: found.evidenceId }] : [];
  });
}

/** Who clicked the message's links, from the proxy search. */
function clickers(ctx: ReasonerContext, facts: EmailFacts): { users: string[]; evidenceId: string | null } {
  const clicks = clicksCall(ctx, facts);
  const events = clicks ? resultOf(ctx.evidence, clicks, eventsSchema) : null;
  if (!events) return { users: [], evidenceId: null };
  const users = events.value
    .filter((e) => e.fields["event.action"] !== "blocked")
    .map((e) => e.fields["user.name"])
    .filter((u): u is string => typeof u === "string" && u.length > 0);
  return { users: [...new Set(users.map((u) => u.toLowerCase()))], evidenceId: events.evidenceId };
}

function emailActions(
  ctx: ReasonerContext & Assessment,
  facts: EmailFacts | undefined,
): ProposedActionInput[] {
  const { verdict } = ctx;
  const r = reportedOf(ctx);
  const actions: ProposedActionInput[] = [];
  const reporter = r?.reporter;
  if (verdict.disposition === "benign") {
    if (reporter)
      actions.push(
        draftAction({
          type: "notify_reporter",
          target: reporter,
          targetKind: "user",
          reason: `Tell ${reporter} the message is safe (${verdict.category})`,
          evidenceIds: verdict.evidenceIds,
        }),
      );
    actions.push(closeCase(ctx.alert.id, verdict, "Benign: close the report"));
    return actions;
  }
  if (verdict.disposition === "suspicious") {
    actions.push(escalateCase(ctx.alert.id, verdict));
    return actions;
  }
  const messageId = facts?.messageId ?? r?.messageId;
  const copies = messageId ? resultOf(ctx.evidence, copiesCall(messageId), copiesSchema) : null;
  if (messageId) {
    const mailboxes = copies ? new Set(copies.value.map((m) => m.mailbox)).size : 1;
    actions.push(
      draftAction({
        type: "quarantine_message",
        target: messageId,
        targetKind: "message",
        blastRadius: mailboxes,
        reason: `Pull every copy (${mailboxes} mailbox${mailboxes === 1 ? "" : "es"}) of the ${verdict.category.replace(/_/g, " ")} message`,
        evidenceIds: copies ? [copies.evidenceId] : verdict.evidenceIds,
      }),
    );
  }
  if (facts?.from) {
    const domain = facts.from.domain;
    if (isFreeMailDomain(domain)) {
      actions.push(
        draftAction({
          type: "block_sender",
          target: facts.from.address,
          targetKind: "sender",
          reason: "Block the free-mail sender",
          evidenceIds: verdict.evidenceIds,
        }),
      );
    } else {
      actions.push(
        draftAction({
          type: "block_domain",
          target: registrableDomain(domain),
          targetKind: "domain",
          reason: `Block the sending domain ${registrableDomain(domain)}`,
          evidenceIds: verdict.evidenceIds,
        }),
      );
    }
    for (const link of maliciousLinks(ctx, facts).slice(0, 3)) {
      actions.push(
        draftAction({
          type: "block_url",
          target: link.href,
          targetKind: "url",
          reason: "Block the malicious link at the proxy",
          evidenceIds: [link.evidenceId],
        }),
      );
    }
    const clicked = clickers(ctx, facts);
    if (clicked.users.length && clicked.evidenceId) {
      for (const user of clicked.users.slice(0, 10)) {
        actions.push(
          draftAction({
            type: "revoke_sessions",
            target: user,
            targetKind: "user",
            reason: `${user} opened the link: end their sessions`,
            evidenceIds: [clicked.evidenceId],
          }),
        );
        if (verdict.category === "credential_phishing") {
          actions.push(
            draftAction({
              type: "reset_password",
              target: user,
              targetKind: "user",
              reason: `${user} may have entered their password`,
              evidenceIds: [clicked.evidenceId],
            }),
          );
        }
      }
    }
  }
  if (reporter)
    actions.push(
      draftAction({
        type: "notify_reporter",
        target: reporter,
        targetKind: "user",
        reason: "Thank the reporter: it was malicious",
        evidenceIds: verdict.evidenceIds,
      }),
    );
  return actions;
}
