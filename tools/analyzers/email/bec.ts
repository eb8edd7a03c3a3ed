/**
 * Business email compromise: the money asks (change where payments go, change payroll, buy gift cards,
 * wire now) and the combination that makes them decisive, a money ask from a sender who is not who they
 * seem. The trained model barely saw these (its corpus is mass phishing), so they carry expert weights.
 */
import { isFreeMailDomain, isSameOrSubdomain } from "../domains.ts";
import type { LanguageCue } from "../language.ts";
import { signal, type Signal } from "../signal.ts";
import type { EmailContext } from "./context.ts";

/** Findings that say the sender is not who the message claims: each alone is explainable, not with a money ask. */
const DECEPTIVE_SENDER = new Set([
  "email.sender.lookalike_domain",
  "email.sender.impersonates_person",
  "email.sender.internal_spoofed",
  "email.sender.reply_to_freemail",
  "email.sender.display_name_brand",
  "email.sender.freemail_brand",
  "email.thread.lookalike_reply",
  "email.auth.dmarc_fail",
]);

const ATTACK = ["T1566", "T1657"];

export function becSignals(
  ctx: EmailContext,
  ev: string[],
  cues: ReadonlySet<LanguageCue>,
  earlier: readonly Signal[],
): Signal[] {
  const fromDomain = ctx.facts.from?.domain ?? "";
  const internal = ctx.internalDomains.some((d) => isSameOrSubdomain(fromDomain, d));
  const trustedSender = earlier.some(
    (s) => s.id === "email.sender.internal_authenticated" || s.id === "email.sender.protected_authenticated",
  );
  const asks: Signal[] = [];
  // 1.5 each: the request itself, precise enough to be rare in business mail (a mention of an account
  // number or a wire is not a request to change one). Alone it reaches "suspicious" or just past it; a
  // genuine partner's authenticated notice is pulled back by its authentication.
  if (cues.has("payment_change") && !cues.has("details_unchanged"))
    asks.push(
      signal("email.language.payment_change", "Asks to change the bank details payments go to", 1.5, ev, {
        attack: ATTACK,
        category: "bec",
      }),
    );
  if (cues.has("payroll_change") && !internal)
    asks.push(
      signal(
        "email.language.payroll_change",
        `Asks to change where a salary is paid, from outside (${fromDomain || "no sender"})`,
        1.5,
        ev,
        { attack: ATTACK, category: "bec" },
      ),
    );
  if (cues.has("gift_cards"))
    asks.push(
      signal(
        "email.language.gift_cards",
        "Asks the reader to buy gift cards and pass on the codes",
        1.5,
        ev,
        {
          attack: ATTACK,
          category: "bec",
        },
      ),
    );
  // 0.8: "please wire it today" is also how real accounts payable talk; only pressure from outside counts.
  if (cues.has("wire_request") && (cues.has("urgency") || cues.has("secrecy")) && !trustedSender)
    asks.push(
      signal("email.language.wire_request", "Presses for a wire or payment now", 0.8, ev, {
        attack: ATTACK,
        category: "bec",
      }),
    );
  // 0.5: harmless between friends; with a sender who is not who they seem it is the first move of a BEC.
  if (cues.has("contact_pretext"))
    asks.push(
      signal(
        "email.language.contact_pretext",
        "Checks the reader is there or asks for a private phone number",
        0.5,
        ev,
        {
          attack: ["T1656"],
          category: "bec",
        },
      ),
    );
  if (!asks.length) return [];

  const deceptive = earlier.filter((s) => DECEPTIVE_SENDER.has(s.id));
  // Businesses do not move bank details or salaries through a personal mailbox.
  const changeFromFreeMail =
    isFreeMailDomain(fromDomain) &&
    asks.some((s) => s.id !== "email.language.wire_request" && s.id !== "email.language.contact_pretext");
  const history = ctx.senderHistory;
  const firstContact = history && "messages" in history && history.messages === 0 ? [history.evidenceId] : [];
  const combined: Signal[] = [];
  if (deceptive.length || changeFromFreeMail) {
    // 2: the BEC pattern itself. Each half is modest alone; together they almost never occur in real
    // business mail (see the firing rates in README), so the pair decides.
    const why = [
      ...deceptive.map((s) => s.title),
      ...(changeFromFreeMail ? [`sent from free mail (${fromDomain})`] : []),
    ];
    combined.push(
      signal(
        "email.bec.deceptive_request",
        `Money request from a sender who is not who they seem: ${asks.map((a) => a.title.toLowerCase()).join("; ")}`,
        2,
        ev,
        { detail: why.join("; "), attack: ATTACK, category: "bec" },
      ),
    );
  } else if (firstContact.length && !trustedSender) {
    // 1: a first-time sender asking for money is how invoice fraud opens, but new suppliers do write.
    combined.push(
      signal(
        "email.bec.first_contact_request",
        "Money request from a sender never seen before",
        1,
        [...ev, ...firstContact],
        {
          attack: ATTACK,
          category: "bec",
        },
      ),
    );
  }
  return [...asks, ...combined];
}
