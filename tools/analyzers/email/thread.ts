/**
 * Thread hijack: a reply in a real-looking conversation, sent from a look-alike of a domain the
 * conversation is with. Attackers who read a compromised mailbox register a near copy of the
 * correspondent's domain and answer the thread, usually with new payment instructions.
 */
import { isBrandDomain } from "../brands.ts";
import {
  findLookalike,
  isFreeMailDomain,
  isSameOrSubdomain,
  registrableDomain,
  type LookalikeMatch,
} from "../domains.ts";
import { signal, type Signal } from "../signal.ts";
import type { EmailContext } from "./context.ts";

const REPLY_SUBJECT = /^\s*(re|fw|fwd|aw|sv|antw|tr)\s*:/i;
const QUOTED_HEADER =
  /^(-{2,}\s*original message\s*-{2,}|on .{4,120} wrote:\s*$|from:\s.+\n(sent|date):\s)/im;
const ADDRESS = /[a-z0-9._%+-]+@((?:[a-z0-9-]+\.)+[a-z]{2,})/gi;

/** Whether the message presents itself as part of a conversation. */
export function looksLikeReply(subject: string, text: string): boolean {
  return REPLY_SUBJECT.test(subject) || QUOTED_HEADER.test(text) || (text.match(/^>/gm) ?? []).length >= 2;
}

/** Domains of the addresses quoted in the message body: the conversation's other parties. */
export function quotedDomains(text: string): string[] {
  const found = [...text.slice(0, 200_000).matchAll(ADDRESS)].map((m) => registrableDomain(m[1] ?? ""));
  return [...new Set(found.filter((d) => d && !isFreeMailDomain(d)))];
}

function correspondentLookalike(ctx: EmailContext, fromDomain: string, text: string): LookalikeMatch | null {
  const configured = findLookalike(fromDomain, ctx.protectedDomains);
  if (configured) return configured;
  // A quoted party is only known from this message, so only deliberate swaps count, not a shared word;
  // and a sender whose own domain is already in the conversation is a party to it (the near match is a typo).
  const quoted = quotedDomains(text);
  const own = registrableDomain(fromDomain);
  if (quoted.includes(own)) return null;
  const match = findLookalike(fromDomain, quoted);
  const name = registrableDomain(match?.protectedDomain ?? "").split(".")[0] ?? "";
  return match && match.technique !== "brand_in_domain" && name.length >= 5 ? match : null;
}

export function threadHijackSignals(ctx: EmailContext, ev: string[]): Signal[] {
  const { facts } = ctx;
  const fromDomain = facts.from?.domain;
  if (!fromDomain || isFreeMailDomain(fromDomain) || isBrandDomain(fromDomain)) return [];
  // Our own and our partners' real domains are who the look-alikes imitate, never the look-alike.
  if ([...ctx.internalDomains, ...ctx.protectedDomains].some((d) => isSameOrSubdomain(fromDomain, d)))
    return [];
  const text = facts.text || facts.html.replace(/<[^>]*>/g, " ");
  if (!looksLikeReply(facts.subject, text)) return [];
  const match = correspondentLookalike(ctx, fromDomain, text);
  if (!match) return [];
  // Weight 2: a real correspondent never answers its own thread from a near copy of its domain, and the
  // reply's quoted history otherwise reads as a genuine conversation to the content model (about -1.4).
  return [
    signal(
      "email.thread.lookalike_reply",
      `Reply in a conversation with ${match.protectedDomain}, sent from the look-alike ${fromDomain}`,
      2,
      ev,
      { detail: `${match.technique}: ${match.detail}`, attack: ["T1566", "T1583.001"], category: "bec" },
    ),
  ];
}
