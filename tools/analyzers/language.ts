/** Social-engineering cues in message text. Each cue is a named set of patterns; a match names the cue. */
export const LANGUAGE_CUES = [
  "urgency",
  "credentials",
  "payment_change",
  "gift_cards",
  "callback_phone",
  "payment_amount",
  "extortion",
  "enable_content",
] as const;
export type LanguageCue = (typeof LANGUAGE_CUES)[number];

const CUES: Record<LanguageCue, RegExp[]> = {
  urgency: [
    /\bwithin (24|48|12) hours\b/i,
    /\b(urgent(ly)?|immediately|as soon as possible|asap|final (notice|warning)|right away)\b/i,
    /\b(will be|has been) (suspended|locked|deactivated|closed|deleted)\b/i,
    /\b(today|by end of day|eod)\b.*\b(required|must|deadline)\b/i,
  ],
  credentials: [
    /\b(verify|confirm|validate|re-?enter|update) (your )?(account|password|credentials|identity|login|mailbox)\b/i,
    /\b(sign|log) ?in (now|here|below)\b/i,
    /\bpassword (expires|expired|will expire)\b/i,
  ],
  payment_change: [
    /\b(new|updated|changed?|update(d)? our) (bank(ing)?|account|remittance|payment) (details|information|instructions|account)\b/i,
    /\b(iban|swift|routing number|account number|sort code)\b/i,
    /\bwire (transfer|the payment|funds)\b/i,
  ],
  gift_cards: [/\bgift ?cards?\b/i, /\b(itunes|google play|steam) cards?\b/i],
  callback_phone: [
    /(\+?1[\s.-]?)?\(?8\d{2}\)?[\s.-]?\d{3}[\s.-]?\d{4}\b/,
    /\bcall (us|our|the)?\s*(support|billing|help|team)?\b.*\d{3}/i,
  ],
  payment_amount: [/\$\s?\d{2,5}(\.\d{2})?\b/, /\b(renew(ed|al)|subscription|charged|invoice #|order #)\b/i],
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
