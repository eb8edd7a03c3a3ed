/**
 * Findings about one reported message: authentication, sender identity, links, attachments, language and
 * the sender's history. Pure: every input was fetched by a tool and is cited by evidence id.
 */
import { findLookalike, isFreeMailDomain, isSameOrSubdomain, registrableDomain } from "../domains.ts";
import { impersonatedBrands, isBrandDomain } from "../brands.ts";
import { languageCues, type LanguageCue } from "../language.ts";
import { signal, type Signal } from "../signal.ts";
import { becSignals } from "./bec.ts";
import type { EmailContext } from "./context.ts";
import { pageSignals } from "./page-signals.ts";
import { namesPerson } from "./people.ts";
import { threadHijackSignals } from "./thread.ts";

export type { CitedIntel, EmailContext } from "./context.ts";

const SHORTENERS = new Set([
  "bit.ly",
  "tinyurl.com",
  "t.co",
  "goo.gl",
  "ow.ly",
  "is.gd",
  "buff.ly",
  "rebrand.ly",
  "cutt.ly",
  "t.ly",
]);
const LOGIN_PATH = /\/(login|log-in|signin|sign-in|verify|account|secure|auth|sso|owa|wp-admin)\b/i;
const MACRO_TYPES = /macroenabled|vnd\.ms-excel\.sheet\.macro|vnd\.ms-word\.document\.macro/i;
const RISKY_EXTENSIONS = /\.(exe|scr|js|jse|vbs|vbe|wsf|hta|bat|cmd|ps1|msi|dll|jar|com|cpl)$/i;
const CONTAINER_EXTENSIONS = /\.(iso|img|vhd|vhdx|lnk)$/i;
const MACRO_EXTENSIONS = /\.(docm|xlsm|pptm|dotm|xltm|xlam)$/i;
const HTML_EXTENSIONS = /\.(html?|svg|shtml|xhtml)$/i;

const pass = (value: string | null | undefined) => value === "pass";
const failed = (value: string | null | undefined) => value === "fail" || value === "permerror";

function authenticationSignals(ctx: EmailContext, ev: string[]): Signal[] {
  const auth = ctx.facts.auth;
  if (!auth) return [];
  const out: Signal[] = [];
  if (failed(auth.dmarc))
    out.push(signal("email.auth.dmarc_fail", "DMARC failed", 1.5, ev, { attack: ["T1566"] }));
  if (failed(auth.spf)) out.push(signal("email.auth.spf_fail", "SPF failed", 0.8, ev));
  else if (auth.spf === "softfail") out.push(signal("email.auth.spf_softfail", "SPF soft-failed", 0.5, ev));
  if (auth.dkim === "none" || failed(auth.dkim))
    out.push(signal("email.auth.dkim_missing", `DKIM ${auth.dkim}`, 0.3, ev));
  if (pass(auth.spf) && pass(auth.dkim) && pass(auth.dmarc)) {
    out.push(
      signal("email.auth.aligned_pass", "SPF, DKIM and DMARC all pass", -0.8, ev, {
        detail: "the sender domain really sent it",
      }),
    );
  }
  return out;
}

function senderSignals(ctx: EmailContext, ev: string[]): Signal[] {
  const { facts } = ctx;
  const out: Signal[] = [];
  const from = facts.from;
  if (!from) return [signal("email.sender.missing", "No parseable From address", 0.8, ev)];
  const fromDomain = from.domain;
  const authenticated = pass(facts.auth?.dmarc) || (pass(facts.auth?.spf) && pass(facts.auth?.dkim));

  if (ctx.simulationSenderDomains.some((d) => isSameOrSubdomain(fromDomain, d)) && authenticated) {
    out.push(
      signal(
        "email.sender.phishing_simulation",
        `Authenticated mail from the sanctioned phishing-simulation vendor ${fromDomain}`,
        -6,
        ev,
        {
          category: "phishing_simulation",
        },
      ),
    );
  }
  const internal = ctx.internalDomains.some((d) => isSameOrSubdomain(fromDomain, d));
  if (internal && authenticated) {
    out.push(
      signal("email.sender.internal_authenticated", `Authenticated internal sender ${from.address}`, -2, ev, {
        category: "benign_notification",
      }),
    );
  } else if (internal && facts.auth && !authenticated) {
    out.push(
      signal(
        "email.sender.internal_spoofed",
        `Claims internal sender ${from.address} but fails authentication`,
        2,
        ev,
        { category: "credential_phishing", attack: ["T1566"] },
      ),
    );
  }
  const partner = !internal && ctx.protectedDomains.some((d) => isSameOrSubdomain(fromDomain, d));
  if (partner && authenticated) {
    out.push(
      signal(
        "email.sender.protected_authenticated",
        `Authenticated mail from the known domain ${fromDomain}`,
        -1.5,
        ev,
        { category: "benign_notification" },
      ),
    );
  }

  // A brand's own other domains (docusign.net beside docusign.com) are not imitations of it.
  const lookalike = isBrandDomain(fromDomain) ? null : findLookalike(fromDomain, ctx.protectedDomains);
  if (lookalike) {
    const partnerTarget =
      !["microsoft.com", "office.com", "docusign.com"].includes(lookalike.protectedDomain) &&
      !ctx.internalDomains.includes(lookalike.protectedDomain);
    // Swapped characters are deliberate deception; a brand inside a longer name is often a real subsidiary
    // or event domain, so it weighs less.
    const weight = lookalike.technique === "brand_in_domain" ? 1.5 : 2.5;
    out.push(
      signal(
        "email.sender.lookalike_domain",
        `Sender domain ${fromDomain} imitates ${lookalike.protectedDomain}`,
        weight,
        ev,
        {
          detail: `${lookalike.technique}: ${lookalike.detail}`,
          attack: ["T1566", "T1583.001"],
          category: partnerTarget ? "bec" : "credential_phishing",
        },
      ),
    );
  }

  const person = (ctx.protectedPeople ?? []).find((p) => namesPerson(from.name, p));
  // "David Okafor via DocuSign" from the service's own authenticated domain is our CFO's real envelope.
  const relayed = authenticated && isBrandDomain(fromDomain) && /\bvia\b/i.test(from.name);
  if (person && !internal && !relayed) {
    // 2: our executives write from our domain; their name on outside mail is the opening of CEO fraud.
    // Not decisive alone (a namesake elsewhere, a personal account), decisive with a money ask (bec.ts).
    out.push(
      signal(
        "email.sender.impersonates_person",
        `Display name "${from.name}" uses the name of ${person}, but the mail comes from outside (${from.address})`,
        2,
        ev,
        { attack: ["T1656", "T1566"], category: "bec" },
      ),
    );
  }
  const brands = impersonatedBrands(from.name, fromDomain, ctx.internalDomains);
  if (brands.length && !out.some((s) => s.id === "email.sender.phishing_simulation")) {
    const free = isFreeMailDomain(fromDomain);
    out.push(
      signal(
        free ? "email.sender.freemail_brand" : "email.sender.display_name_brand",
        `Display name "${from.name}" claims ${brands.map((b) => b.name).join(", ")} but mail comes from ${fromDomain}`,
        1.5,
        ev,
        { attack: ["T1656"], ...(free ? { category: "callback_phishing" as const } : {}) },
      ),
    );
  }

  if (
    facts.sender &&
    registrableDomain(facts.sender.domain) !== registrableDomain(fromDomain) &&
    !facts.listUnsubscribe
  ) {
    out.push(
      signal(
        "email.sender.sender_header_mismatch",
        `Sent by ${facts.sender.address} on behalf of ${from.address}`,
        0.5,
        ev,
      ),
    );
  }
  const trusted = [...ctx.internalDomains, ...ctx.protectedDomains];
  for (const replyTo of facts.replyTo) {
    if (registrableDomain(replyTo.domain) === registrableDomain(fromDomain)) continue;
    // Signing and ticketing services reply to the known person who sent the request.
    if (trusted.some((d) => isSameOrSubdomain(replyTo.domain, d))) continue;
    const freeReply = isFreeMailDomain(replyTo.domain) && !isFreeMailDomain(fromDomain);
    out.push(
      signal(
        freeReply ? "email.sender.reply_to_freemail" : "email.sender.reply_to_mismatch",
        `Replies go to ${replyTo.address}, not to the sender's domain ${fromDomain}`,
        freeReply ? 2 : 1,
        ev,
        { attack: ["T1566"], ...(freeReply ? { category: "bec" as const } : {}) },
      ),
    );
    break;
  }
  if (facts.returnPath) {
    const returnDomain = facts.returnPath.split("@")[1] ?? "";
    if (
      returnDomain &&
      registrableDomain(returnDomain) !== registrableDomain(fromDomain) &&
      !facts.listUnsubscribe
    ) {
      out.push(
        signal(
          "email.sender.return_path_mismatch",
          `Return-Path ${facts.returnPath} differs from From domain`,
          0.4,
          ev,
        ),
      );
    }
  }
  if (facts.listUnsubscribe && authenticated && (!lookalike || lookalike.technique === "brand_in_domain")) {
    out.push(
      signal(
        "email.bulk.list_unsubscribe",
        "Authenticated bulk mail with a List-Unsubscribe header",
        -1,
        ev,
        { category: "graymail" },
      ),
    );
  }
  return out;
}

function senderHistorySignals(ctx: EmailContext): Signal[] {
  const history = ctx.senderHistory;
  if (!history) return [];
  if ("unavailable" in history)
    return [
      signal("email.sender.history_unavailable", "No sender history available", 0, [ctx.messageEvidenceId], {
        detail: history.unavailable,
      }),
    ];
  const ev = [history.evidenceId];
  const seen = `${history.messages} earlier message(s) from this sender on ${history.days} day(s)`;
  if (history.messages === 0)
    return [
      signal(
        "email.sender.first_seen",
        `No mail from this sender in the ${history.windowDays} days before the report`,
        0.4,
        ev,
      ),
    ];
  // Gateways log one event per recipient and a campaign lands in one burst: only mail spread over several
  // days makes a sender known.
  if (history.messages >= 10 && history.days >= 5)
    return [signal("email.sender.established", seen, -1.5, ev)];
  if (history.messages >= 3 && history.days >= 2) return [signal("email.sender.known", seen, -1, ev)];
  return [];
}

function linkSignals(ctx: EmailContext, ev: string[]): Signal[] {
  const out: Signal[] = [];
  const links = ctx.facts.links;
  const fromDomain = ctx.facts.from?.domain ?? "";
  const add = (s: Signal) => {
    if (!out.some((o) => o.id === s.id)) out.push(s);
  };
  for (const link of links) {
    const href = link.href.toLowerCase();
    if (href.startsWith("javascript:") || href.startsWith("data:")) {
      add(
        signal("email.url.script_scheme", `Link with a ${href.split(":")[0]}: URL`, 1.5, ev, {
          attack: ["T1566.002"],
        }),
      );
      continue;
    }
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(link.domain) || link.domain.includes(":")) {
      add(
        signal("email.url.ip_literal", `Link to a bare IP address ${link.domain}`, 1, ev, {
          attack: ["T1566.002"],
        }),
      );
    }
    if (SHORTENERS.has(link.domain))
      add(signal("email.url.shortener", `Link through the shortener ${link.domain}`, 0.6, ev));
    const anchorDomain = /\b((?:[a-z0-9-]+\.)+[a-z]{2,})\b/i.exec(link.text)?.[1]?.toLowerCase();
    if (anchorDomain && link.domain && registrableDomain(anchorDomain) !== registrableDomain(link.domain)) {
      add(
        signal(
          "email.url.anchor_mismatch",
          `Link text shows ${anchorDomain} but leads to ${link.domain}`,
          1.2,
          ev,
          {
            attack: ["T1566.002"],
            category: "credential_phishing",
          },
        ),
      );
    }
    const trusted = [...ctx.internalDomains, ...ctx.protectedDomains].some((d) =>
      isSameOrSubdomain(link.domain, d),
    );
    if (
      !trusted &&
      LOGIN_PATH.test(href) &&
      registrableDomain(link.domain) !== registrableDomain(fromDomain || "-")
    ) {
      add(
        signal("email.url.login_page", `Login-style link to ${link.domain}`, 0.5, ev, {
          category: "credential_phishing",
        }),
      );
    } else if (!trusted && LOGIN_PATH.test(href)) {
      add(
        signal("email.url.login_page", `Login-style link to ${link.domain}`, 0.5, ev, {
          category: "credential_phishing",
        }),
      );
    }
  }
  const internalOnly =
    links.length > 0 && links.every((l) => ctx.internalDomains.some((d) => isSameOrSubdomain(l.domain, d)));
  if (internalOnly)
    out.push(signal("email.url.internal_only", "Every link points to our own domains", -0.5, ev));
  return out;
}

function attachmentSignals(ctx: EmailContext, ev: string[]): Signal[] {
  const out: Signal[] = [];
  for (const a of ctx.facts.attachments) {
    const name = a.filename.toLowerCase();
    if (a.hasMacro || MACRO_EXTENSIONS.test(name) || MACRO_TYPES.test(a.contentType)) {
      out.push(
        signal("email.attachment.macro", `Macro-enabled Office attachment ${a.filename}`, 2, ev, {
          attack: ["T1566.001", "T1204.002"],
          category: "malware_delivery",
        }),
      );
    }
    if (a.isExecutable || RISKY_EXTENSIONS.test(name)) {
      out.push(
        signal("email.attachment.executable", `Executable attachment ${a.filename}`, 2.5, ev, {
          attack: ["T1566.001"],
          category: "malware_delivery",
        }),
      );
    }
    if (/\.[a-z0-9]{2,4}\.(exe|scr|js|vbs|hta|lnk|iso|html?)$/i.test(name)) {
      out.push(
        signal("email.attachment.double_extension", `Double extension ${a.filename}`, 1.5, ev, {
          attack: ["T1036.007"],
          category: "malware_delivery",
        }),
      );
    }
    if (CONTAINER_EXTENSIONS.test(name)) {
      out.push(
        signal("email.attachment.container", `Disk image or shortcut attachment ${a.filename}`, 1.8, ev, {
          attack: ["T1553.005"],
          category: "malware_delivery",
        }),
      );
    }
    if (a.isArchive) {
      out.push(
        signal(
          a.encrypted ? "email.attachment.encrypted_archive" : "email.attachment.archive",
          a.encrypted
            ? `Password-protected archive ${a.filename}: no scanner can look inside`
            : `Archive attachment ${a.filename}`,
          a.encrypted ? 2 : 0.6,
          ev,
          { attack: a.encrypted ? ["T1027.013"] : [], category: "malware_delivery" },
        ),
      );
    }
    if (a.realType) {
      out.push(
        signal(
          "email.attachment.type_mismatch",
          `${a.filename} is really ${a.realType} content`,
          a.realType === "pe" ? 2.5 : 1.2,
          ev,
          { attack: ["T1036.008"], category: "malware_delivery" },
        ),
      );
    }
    if (HTML_EXTENSIONS.test(name)) {
      out.push(
        signal(
          "email.attachment.html",
          `HTML/SVG attachment ${a.filename} (smuggling or local phishing page)`,
          1.2,
          ev,
          { attack: ["T1027.006"], category: "credential_phishing" },
        ),
      );
    }
  }
  return dedupe(out);
}

function messageText(ctx: EmailContext): string {
  return `${ctx.facts.subject}\n${ctx.facts.text || ctx.facts.html.replace(/<[^>]*>/g, " ")}`;
}

function languageSignals(ctx: EmailContext, ev: string[], cues: ReadonlySet<LanguageCue>): Signal[] {
  const text = messageText(ctx);
  const out: Signal[] = [];
  if (cues.has("urgency"))
    out.push(signal("email.language.urgency", "Urgent or threatening language", 0.5, ev));
  if (cues.has("credentials"))
    out.push(
      signal("email.language.credentials", "Asks to verify or enter credentials", 0.8, ev, {
        category: "credential_phishing",
      }),
    );
  const fromDomain = ctx.facts.from?.domain ?? "";
  const bodyBrands = impersonatedBrands(text, fromDomain, ctx.internalDomains).filter(
    (b) => !b.domains.includes("internal"),
  );
  // 2: callback phishing claims a charge the reader never made and gives a number to call about it. A
  // real order confirmation's support number comes without the "if you did not authorize" prompt and from
  // the merchant's own domain, not in the name of a brand the sender does not own or from free mail.
  if (
    cues.has("callback_phone") &&
    cues.has("payment_amount") &&
    cues.has("charge_claim") &&
    (cues.has("dispute_prompt") || bodyBrands.length > 0 || isFreeMailDomain(fromDomain))
  ) {
    const brand = bodyBrands.length ? ` in the name of ${bodyBrands.map((b) => b.name).join(", ")}` : "";
    out.push(
      signal(
        "email.language.callback",
        `Claims a charge${brand} and gives a phone number to call about it`,
        2,
        ev,
        { category: "callback_phishing", attack: ["T1566.004"] },
      ),
    );
  }
  if (cues.has("extortion"))
    out.push(signal("email.language.extortion", "Extortion language", 1.5, ev, { category: "spam" }));
  if (cues.has("enable_content"))
    out.push(
      signal("email.language.enable_content", "Asks to enable content or macros", 1, ev, {
        category: "malware_delivery",
      }),
    );
  if (bodyBrands.length && isFreeMailDomain(fromDomain)) {
    out.push(
      signal(
        "email.language.brand_from_freemail",
        `Names ${bodyBrands.map((b) => b.name).join(", ")} but sent from free mail`,
        1,
        ev,
        { category: "callback_phishing" },
      ),
    );
  }
  return out;
}

function intelSignals(ctx: EmailContext): Signal[] {
  const out: Signal[] = [];
  for (const { verdict, evidenceId } of ctx.intel) {
    const what = `${verdict.observable.type} ${verdict.observable.value}`;
    const tags = verdict.tags.length ? ` (${verdict.tags.join(", ")})` : "";
    const category =
      verdict.observable.type === "file_hash"
        ? "malware_delivery"
        : verdict.tags.includes("phishing")
          ? "credential_phishing"
          : undefined;
    if (verdict.verdict === "malicious") {
      out.push(
        signal(
          `email.intel.malicious_${verdict.observable.type}`,
          `Threat intel: ${what} is malicious${tags}`,
          3,
          [evidenceId],
          category ? { category } : {},
        ),
      );
    } else if (verdict.verdict === "suspicious") {
      out.push(
        signal(
          `email.intel.suspicious_${verdict.observable.type}`,
          `Threat intel: ${what} is suspicious${tags}`,
          1.2,
          [evidenceId],
        ),
      );
    }
    if (verdict.tags.includes("newly_registered") && verdict.observable.type === "domain") {
      out.push(
        signal("email.intel.newly_registered", `${verdict.observable.value} was registered recently`, 0.8, [
          evidenceId,
        ]),
      );
    }
  }
  return dedupe(out);
}

/** Same rule id twice: keep one, with the evidence of both and the larger weight. */
function dedupe(signals: Signal[]): Signal[] {
  const byId = new Map<string, Signal>();
  for (const s of signals) {
    const seen = byId.get(s.id);
    if (!seen) byId.set(s.id, s);
    else
      byId.set(s.id, {
        ...seen,
        weight: Math.max(seen.weight, s.weight),
        evidenceIds: [...new Set([...seen.evidenceIds, ...s.evidenceIds])],
      });
  }
  return [...byId.values()];
}

// ---- limits: what a bound cut, and a sender built to break parsers ----

/**
 * Each bound the parser hit, and a sender address or display name longer than any real one: that length
 * serves only to break parsers, hide the real domain or overflow a reviewer's screen, so it weighs like a
 * strong finding.
 */
function limitSignals(ctx: EmailContext, ev: string[]): Signal[] {
  return [
    ...ctx.facts.truncated.map((t) => signal("email.parse.limited", `Parsing was bounded: ${t}`, 0.3, ev)),
    ...(ctx.facts.overlongSender
      ? [
          signal(
            "email.limits.overlong_sender",
            `Sender built to break parsers: ${ctx.facts.overlongSender}`,
            2,
            ev,
          ),
        ]
      : []),
  ];
}

export function analyzeEmail(ctx: EmailContext): Signal[] {
  const ev = [ctx.messageEvidenceId];
  const limits = limitSignals(ctx, ev);
  const cues = new Set(languageCues(messageText(ctx)));
  const identity = [
    ...authenticationSignals(ctx, ev),
    ...senderSignals(ctx, ev),
    ...threadHijackSignals(ctx, ev),
  ];
  return dedupe([
    ...identity,
    ...senderHistorySignals(ctx),
    ...linkSignals(ctx, ev),
    ...attachmentSignals(ctx, ev),
    ...pageSignals(ctx.facts, ev),
    ...languageSignals(ctx, ev, cues),
    ...becSignals(ctx, ev, cues, identity),
    ...intelSignals(ctx),
    ...limits,
  ]);
}
