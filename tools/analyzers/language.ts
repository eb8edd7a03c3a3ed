/** Social-engineering cues in message text. Each cue is a named set of patterns; a match names the cue. */
export const LANGUAGE_CUES = [
  "urgency",
  "secrecy",
  "contact_pretext",
  "credentials",
  "payment_change",
  "payroll_change",
  "details_unchanged",
  "wire_request",
  "gift_cards",
  "callback_phone",
  "payment_amount",
  "charge_claim",
  "dispute_prompt",
  "extortion",
  "enable_content",
] as const;
export type LanguageCue = (typeof LANGUAGE_CUES)[number];

// Where bank details live: "our bank account", "remittance information", "wire instructions". Not "payment
// details" or "account information": a card that expired at a SaaS vendor is updated with those words.
const BANK_DETAILS =
  "(?:(?:bank(?:ing)?|remittance|wire|ach)\\s+(?:account|details|information|info|instructions|records)|payment instructions|(?:beneficiary|receiving) account)";
const PAY = "(?:direct deposit|payroll|pay ?check|salary)";

const CUES: Record<LanguageCue, RegExp[]> = {
  urgency: [
    /\bwithin (24|48|12) hours\b/i,
    /\b(urgent(ly)?|immediately|as soon as possible|asap|final (notice|warning)|right away)\b/i,
    /\b(will be|has been) (suspended|locked|deactivated|closed|deleted)\b/i,
    /\b(today|by end of day|eod)\b.*\b(required|must|deadline)\b/i,
  ],
  // BEC asks the victim not to check with anyone: the out-of-band verification that would stop it.
  // The opener of CEO fraud: check the reader is there, or move the talk to a phone the sender controls.
  contact_pretext: [
    /\b(are you (at your desk|available|around|in the office)|do you have a (minute|moment))\b/i,
    /\b(send|reply with|text|give|share|provide)( me)? your (personal |private )?(mobile|cell|phone|whatsapp)( phone)?( number| no\.?)?\b/i,
  ],
  secrecy: [
    /\b(keep (this|it) (confidential|between us|quiet|to yourself)|don'?t (tell|mention|discuss)|do not (tell|mention|discuss|call))\b/i,
    /\b(can'?t|cannot|unable to) (take|answer) (any )?(calls|the phone)\b/i,
  ],
  credentials: [
    /\b(verify|confirm|validate|re-?enter|update) (your )?(account|password|credentials|identity|login|mailbox)\b/i,
    /\b(sign|log) ?in (now|here|below)\b/i,
    /\bpassword (expires|expired|will expire)\b/i,
  ],
  // A request to pay somewhere new, not a mention of bank details: business mail names account numbers
  // and wires all the time, attackers ask to *change* where money goes.
  payment_change: [
    new RegExp(
      `\\b(update|change|amend|replace|switch)\\w*\\b[^.!?\\n]{0,40}\\b(our|your|the|my|its)?\\s*${BANK_DETAILS}`,
      "i",
    ),
    new RegExp(`\\b(new|updated|changed|different|alternate)\\s+${BANK_DETAILS}`, "i"),
    /\b(has|have) (recently )?(changed|switched|moved) (its |our |their |my )?bank(s|ing)?\b/i,
    /\b(send|make|direct|remit|pay|transfer)\w*\b[^.!?\n]{0,40}\bto (our|the|this|my) new (bank )?account\b/i,
    /\b(future|all|upcoming|outstanding) (payments?|invoices?|remittances?)\b[^.!?\n]{0,30}\b(must|should|to) be (sent|made|paid|remitted|directed)\b[^.!?\n]{0,20}\bnew\b/i,
  ],
  payroll_change: [
    new RegExp(
      `\\b(update|change|switch|redirect)\\w*\\b[^.!?\\n]{0,40}\\b(my\\s+)?${PAY}\\s*(account|details|information|info|bank)?`,
      "i",
    ),
    new RegExp(`\\b${PAY}\\b[^.!?\\n]{0,40}\\b(new|different) (bank|account)\\b`, "i"),
  ],
  // A genuine partner confirming nothing changed, or a policy reminder: the words of a change, not a request.
  details_unchanged: [
    /\b(have|has) not (been )?changed\b/i,
    /\b(remain(s)?|are|is) unchanged\b/i,
    /\bwill never (ask|request|change)\b/i,
    /\bmust be verified by (calling|phone)\b/i,
  ],
  wire_request: [
    /\b(please|kindly|need (you )?to|can you|could you)\b[^.!?\n]{0,40}\b(wire|transfer|remit|send|process|release|make|handle|arrange|complete|execute)\b[^.!?\n]{0,30}\b(payments?|funds|wire|transfer|deposit|\$\s?\d)/i,
    /\b(wired?|transfer(red)?|paid|settled|released) (today|immediately|right away|before \d|by end of day)\b/i,
  ],
  gift_cards: [
    /\b(buy|purchase|get|pick up|grab|need)\b[^.!?\n]{0,60}\b(gift ?cards?|(itunes|google play|steam|apple|amazon) cards?)\b[\s\S]{0,300}\b(codes?|scratch|pictures?|photos?|snap|reimburse)\b/i,
    /\b(are you (at your desk|available|around)|quick favou?r)\b[\s\S]{0,300}\bgift ?cards?\b/i,
  ],
  callback_phone: [
    /(\+?1[\s.-]?)?\(?8\d{2}\)?[\s.-]?\d{3}[\s.-]?\d{4}\b/,
    /\bcall (us|our|the)?\s*(support|billing|help|team)?\b.*\d{3}/i,
  ],
  payment_amount: [/\$\s?\d{2,5}(\.\d{2})?\b/, /\b(renew(ed|al)|subscription|charged|invoice #|order #)\b/i],
  // A charge the recipient did not make is what callback scams sell.
  charge_claim: [
    /\b(has been|was|will be|have been|is now) (charged|debited|renewed|billed|deducted|active)\b/i,
    /\b(auto-?(debit|renew(al)?)|automatic(ally)? renew(ed|al|s)?|renewal (charge|notice))\b/i,
    /\b(total paid|charged amount|(successfully|has been) processed)\b/i,
    /\b(automatic|recurring) (charge|payment|debit)\b/i,
  ],
  dispute_prompt: [
    /\b(if you (did not|didn'?t) (authori[sz]e|make|place|recogni[sz]e|request)|not authori[sz]ed|to cancel|cancel (this|the|your) (order|subscription|renewal|charge)|(claim|get|request) (a|your) refund|dispute)\b/i,
  ],
  extortion: [
    /\b(bitcoin|btc wallet)\b/i,
    /\b(recorded you|webcam|your (device|computer) (was|has been) hacked)\b/i,
  ],
  enable_content: [/\benable (content|editing|macros?)\b/i],
};

export function languageCues(text: string): LanguageCue[] {
  const sample = text.slice(0, 200_000);
  return LANGUAGE_CUES.filter((cue) => CUES[cue].some((p) => p.test(sample)));
}
