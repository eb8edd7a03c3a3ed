/**
 * Applies the trained email model to a message's findings and content features. Findings the model learned
 * (content-borne cues the corpora show often, each learned under a prior centred on the analysts' weight and
 * never past zero) take the learned weight; every other finding acts outside the model with the analysts'
 * weight: the high-precision ones the corpora rarely or never show (BEC, look-alikes of our partners,
 * protected people, callback scams, risky attachments) and those that need tools or configuration the
 * corpora lack (authentication, intel, history, our own domains). Content measurements become findings of
 * their own so the verdict lists everything that moved it; the wording model's many small pushes are one.
 */
import { sigmoid, type LogisticModel } from "../logistic.ts";
import { signal, type Signal } from "../signal.ts";
import type { FeatureVector } from "./features.ts";

const CONTENT_TITLES: Record<string, string> = {
  "content.links": "Number of links",
  "content.link_domains": "Links to many different sites",
  "content.links_elsewhere": "Links point away from the sender's own domain",
  "content.url_long": "Very long link",
  "content.url_redirect_param": "Link through a redirect parameter",
  "content.url_at_sign": "Link hides its host behind an @",
  "content.url_punycode": "Link to a punycode (look-alike) host",
  "content.url_deep_subdomain": "Link to a deeply nested subdomain",
  "content.html_form": "HTML form inside the message",
  "content.html_script": "Script inside the message",
  "content.html_hidden_text": "Hidden text in the HTML",
  "content.html_only": "HTML only, no plain-text part",
  "content.image_heavy": "Mostly images, little text",
  "content.text_length": "Length of the text",
  "content.quoted_reply": "Part of a real conversation (quoted reply)",
  "content.subject_reply": "Subject marked as a reply or forward",
  "content.subject_caps": "Subject in capitals",
  "content.subject_encoded": "Encoded, non-ASCII subject",
  "content.exclamations": "Exclamation marks",
  "content.uppercase_ratio": "Shouting (many capitals)",
  "content.generic_greeting": "Generic greeting (dear customer…)",
  "content.click_here": '"Click here" call to action',
  "content.account_words": "Account and security vocabulary",
  "content.money_words": "Money vocabulary",
  "content.unsubscribe": "Offers to unsubscribe",
  "content.sender_freemail": "Sent from free mail",
  "content.sender_noreply": "Sent from a no-reply address",
  "content.display_name_address": "Display name contains an address or domain",
  "content.reply_to_differs": "Reply-To differs from the sender",
  "content.attachments": "Attachments",
  "content.sender_is_recipient": "Claims to come from the recipient",
  "content.sender_random_localpart": "Machine-generated sender address",
  "content.sender_risky_tld": "Sender domain on a cheap, abused top-level domain",
  "content.no_sender": "No sender address",
};

const lexiconTitle = (name: string) =>
  `Vocabulary of ${name.replace("content.lexicon_", "").replace(/_/g, " ")}`;

/** Contributions below this are folded into one finding, so the list stays readable. */
const SMALL = 0.25;

export function modelSignals(
  model: LogisticModel,
  vector: FeatureVector,
  signals: readonly Signal[],
  messageEvidenceId: string,
): Signal[] {
  const learned = signals.map((s) => {
    const weight = model.weights[`finding.${s.id}`];
    return weight === undefined ? s : { ...s, weight };
  });
  const content: Signal[] = [];
  let small = 0;
  let smallCount = 0;
  let wording = 0;
  let words = 0;
  for (const [name, value] of Object.entries(vector)) {
    const push = (model.weights[name] ?? 0) * value;
    if (push === 0) continue;
    if (name.startsWith("word.")) {
      wording += push;
      words++;
    } else if (!name.startsWith("content.")) continue;
    else if (Math.abs(push) < SMALL) {
      small += push;
      smallCount++;
    } else {
      const title = name.startsWith("content.lexicon_") ? lexiconTitle(name) : (CONTENT_TITLES[name] ?? name);
      content.push(
        signal(`email.${name}`, title, push, [messageEvidenceId], {
          detail: `feature value ${value.toFixed(2)}`,
        }),
      );
    }
  }
  if (words)
    content.push(
      signal(
        "email.content.wording",
        wording > 0 ? "Wording typical of fraud" : "Wording typical of ordinary business mail",
        wording,
        [messageEvidenceId],
        { detail: `${words} word(s) the model weighs` },
      ),
    );
  if (smallCount)
    content.push(
      signal("email.content.minor", `${smallCount} minor content cues`, small, [messageEvidenceId]),
    );
  return [...learned, ...content];
}

/** P(malicious) exactly as the playbook scores a message before tools and memory add their findings. */
export function emailProbability(
  model: LogisticModel,
  vector: FeatureVector,
  signals: readonly Signal[],
): number {
  return sigmoid(modelSignals(model, vector, signals, "-").reduce((sum, s) => sum + s.weight, model.bias));
}
