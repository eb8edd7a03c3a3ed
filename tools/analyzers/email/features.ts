/**
 * Numeric features of a message for the scoring model: the analyzers' findings (1 when present) and
 * content measurements a findings list cannot express (how many links, how much text, is it a reply).
 * Every value is in [0, 1] so weights are comparable.
 */
import { isFreeMailDomain, registrableDomain } from "../domains.ts";
import type { Signal } from "../signal.ts";
import type { EmailFacts } from "./parse.ts";

export type FeatureVector = Record<string, number>;

const clip = (x: number) => Math.max(0, Math.min(1, x));
const logScale = (n: number, max: number) => clip(Math.log1p(n) / Math.log1p(max));
const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

/** Word families of fraud that are not tied to one era or one mail system. */
const LEXICONS: Record<string, RegExp> = {
  advance_fee:
    /\b(inheritance|beneficiary|next of kin|million (us )?dollars|funds? transfer|investment (proposal|proposition)|donation|dying|late husband|barrister|compensation fund|consignment|diplomat|\d+(\.\d+)? ?(m|mn|million|billion) ?(usd|us\$|dollars|euros?|eur|gbp|pounds)|(usd|us\$|eur) ?\d+(\.\d+)? ?(m|mn|million)|roi|reinvest\w*|asset funds?|business proposal|confidential (client|transaction|business))\b/gi,
  romance:
    /\b(my (love|dear|darling)|handsome|beautiful|lonely|lovely|sweetheart|kisses|single (woman|lady)|want to (talk|chat|meet))\b/gi,
  prize:
    /\b(congratulations|you (have )?won|winner|lucky|prize|reward|claim (your|now)|mystery box|selected|free gift|gift card)\b/gi,
  crypto:
    /\b(crypto|bitcoin|btc|ethereum|eth|usdt|wallet|airdrop|token|seed phrase|recovery phrase|ledger|metamask|trezor|blockchain|exchange)\b/gi,
  adult: /\b(sex|dating|nude|hot (girls|singles)|hookup|erotic|porn|recorded you|webcam|masturbat\w*)\b/gi,
  account_threat:
    /\b(suspend(ed)?|locked|limited|unusual (activity|sign-?in)|unauthori[sz]ed|verify (your )?(identity|account)|expire[sd]?|deactivat\w*|reactivate|restore access|action (required|needed))\b/gi,
  delivery: /\b(parcel|package|shipment|delivery (failed|attempt)|customs fee|tracking number|courier)\b/gi,
  pharmacy_loans:
    /\b(viagra|cialis|pharmacy|pills|weight loss|loan approved|credit score|debt relief|casino|bonus)\b/gi,
};

/** Text a reader sees. A text part that is only a placeholder ("your client does not support HTML") yields to the HTML. */
export function visibleText(facts: EmailFacts): string {
  const fromHtml = () =>
    facts.html
      .slice(0, 1_000_000)
      .replace(/<style[\s\S]*?<\/style>/gi, " ")
      .replace(/<[^>]*>/g, " ");
  if (!facts.text) return fromHtml().slice(0, 200_000);
  if (facts.html && facts.text.trim().length < 200) {
    const html = fromHtml();
    if (html.replace(/\s+/g, " ").trim().length > 3 * facts.text.trim().length) return html.slice(0, 200_000);
  }
  return facts.text.slice(0, 200_000);
}

/**
 * A real conversation carries its history: Outlook's and Notes' original-message and forwarded blocks,
 * "On … wrote:", or quoted lines. Scams that fake a reply put "RE:" in the subject and nothing below.
 * The blanks before a marker are matched within its line, not with \s*: that crossed line ends, so every
 * line start in a long run of blank lines scanned the rest of the run again (one corpus message took
 * 430 ms). A marker after blank lines still matches, from its own line's start.
 */
const THREAD_MARKERS =
  /^[^\S\r\n\u2028\u2029]*(-{2,}\s*original message\s*-{2,}|-{5,}\s*forwarded by\b|-{2,}\s*forwarded message\s*-{2,}|begin forwarded message:|from:\s.{1,200}\n\s*sent:\s)/im;
function hasThreadHistory(text: string): boolean {
  return THREAD_MARKERS.test(text) || count(text, /^>/gm) >= 2 || /\bwrote:\s*$/m.test(text);
}

/** An identifier-like token in a subject ("ID-rnfMK79Ucd1l2o", "#A7F9K2X1"): mass mailers personalise this way. */
const SUBJECT_TOKEN = /(?:^|[\s:#-])(?=[A-Za-z0-9]{8,}\b)(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]{8,}\b/;

export function contentFeatures(facts: EmailFacts, text: string = visibleText(facts)): FeatureVector {
  const html = facts.html.slice(0, 500_000);
  const subject = facts.subject;
  const fromDomain = facts.from?.domain ?? "";
  const linkDomains = [...new Set(facts.links.map((l) => l.domain).filter(Boolean))];
  const foreignLinks = linkDomains.filter((d) => registrableDomain(d) !== registrableDomain(fromDomain));
  const letters = text.replace(/[^A-Za-z]/g, "");
  const words = text.split(/\s+/).filter(Boolean).length;
  const displayName = facts.from?.name ?? "";
  const thread = hasThreadHistory(text);
  const reply = /^\s*(re|fw|fwd|aw|tr|wg)\s*:/i.test(subject);
  return {
    "content.links": logScale(facts.links.length, 100),
    "content.link_domains": logScale(linkDomains.length, 30),
    "content.links_elsewhere": linkDomains.length ? foreignLinks.length / linkDomains.length : 0,
    "content.url_long": facts.links.some((l) => l.href.length > 120) ? 1 : 0,
    "content.url_redirect_param": facts.links.some((l) =>
      /[?&][a-z_]*(url|redirect|next|target|dest|goto)=https?(%3a|:)/i.test(l.href),
    )
      ? 1
      : 0,
    "content.url_at_sign": facts.links.some((l) => /^https?:\/\/[^/]*@/i.test(l.href)) ? 1 : 0,
    "content.url_punycode": linkDomains.some((d) => d.includes("xn--")) ? 1 : 0,
    "content.url_deep_subdomain": linkDomains.some((d) => d.split(".").length > 4) ? 1 : 0,
    "content.html_form": /<form\b/i.test(html) ? 1 : 0,
    "content.html_script": /<script\b/i.test(html) ? 1 : 0,
    "content.html_hidden_text": /display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*[01]px/i.test(
      html,
    )
      ? 1
      : 0,
    "content.html_only": facts.html && !facts.hasPlainPart ? 1 : 0,
    "content.image_heavy": count(html, /<img\b/gi) > 0 && words < 60 ? 1 : 0,
    "content.quoted_reply": thread ? 1 : 0,
    "content.subject_reply": reply ? 1 : 0,
    "content.subject_token": SUBJECT_TOKEN.test(subject) ? 1 : 0,
    "content.display_name_digits": /\d{4,}/.test(displayName) ? 1 : 0,
    "content.subject_caps":
      subject.replace(/[^A-Za-z]/g, "").length > 8 && subject === subject.toUpperCase() ? 1 : 0,
    "content.subject_encoded": /[^\x20-\x7e]/.test(subject) ? 1 : 0,
    "content.exclamations": logScale(count(text, /!/g), 20),
    "content.uppercase_ratio": letters.length
      ? clip((letters.replace(/[^A-Z]/g, "").length / letters.length) * 2)
      : 0,
    "content.generic_greeting":
      /\bdear (customer|user|client|member|account ?holder|valued|sir|madam|friend|beneficiary)\b/i.test(text)
        ? 1
        : 0,
    "content.click_here": /\bclick (here|below|the (link|button))\b/i.test(text) ? 1 : 0,
    "content.account_words": logScale(
      count(
        text,
        /\b(account|password|login|log in|sign in|verify|verification|suspend(ed)?|security|confirm)\b/gi,
      ),
      15,
    ),
    "content.money_words": logScale(
      count(
        text,
        /(\$\s?\d|€\s?\d|\b(usd|bitcoin|btc|payment|invoice|refund|wallet|prize|winner|lottery|inheritance|transfer)\b)/gi,
      ),
      15,
    ),
    "content.unsubscribe": /unsubscribe/i.test(text) || facts.listUnsubscribe ? 1 : 0,
    "content.sender_freemail": isFreeMailDomain(fromDomain) ? 1 : 0,
    "content.sender_noreply": /^(no-?reply|do-?not-?reply|noreply)/i.test(facts.from?.address ?? "") ? 1 : 0,
    "content.display_name_address": /@|\b[a-z0-9-]+\.(com|net|org)\b/i.test(displayName) ? 1 : 0,
    "content.reply_to_differs": facts.replyTo.some(
      (r) => registrableDomain(r.domain) !== registrableDomain(fromDomain),
    )
      ? 1
      : 0,
    "content.attachments": logScale(facts.attachments.length, 5),
    "content.sender_is_recipient":
      facts.from && facts.to.some((t) => t.address === facts.from?.address) ? 1 : 0,
    "content.sender_random_localpart":
      /^(?=[^@]*\d)[a-z0-9._-]{20,}@/i.test(facts.from?.address ?? "") ||
      /-{3,}/.test(facts.from?.address ?? "")
        ? 1
        : 0,
    "content.sender_risky_tld":
      /\.(top|xyz|online|shop|click|live|icu|buzz|rest|cfd|sbs|monster|cyou|bond|quest|site|store|work|support)$/i.test(
        fromDomain,
      )
        ? 1
        : 0,
    "content.no_sender": facts.from ? 0 : 1,
    ...Object.fromEntries(
      Object.entries(LEXICONS).map(([name, re]) => [
        `content.lexicon_${name}`,
        logScale(count(`${subject}\n${text}`, re), 8),
      ]),
    ),
  };
}

/** Sets `word.<w>` to 1 in `vector` for each word the message uses, in order of first use. */
function addWords(vector: FeatureVector, facts: EmailFacts, visible: string): FeatureVector {
  const text = `${facts.subject}\n${visible.slice(0, 20_000)}`.toLowerCase();
  for (const word of text.match(/[a-z]{3,20}/g) ?? []) vector[`word.${word}`] = 1;
  return vector;
}

/** Words the message uses (subject and the first 20,000 characters a reader sees), once each. */
export function wordFeatures(facts: EmailFacts, visible: string = visibleText(facts)): FeatureVector {
  return addWords({}, facts, visible);
}

/**
 * The full vector: the content measurements, the words, then the findings present (1), in that order
 * (the model sums in it). Written into one object: a message has thousands of words, and spreading two
 * such objects into a third cost more than the measurements.
 */
export function emailFeatureVector(facts: EmailFacts, signals: readonly Signal[]): FeatureVector {
  const text = visibleText(facts);
  const vector = addWords(contentFeatures(facts, text), facts, text);
  for (const s of signals) vector[`finding.${s.id}`] = 1;
  return vector;
}
