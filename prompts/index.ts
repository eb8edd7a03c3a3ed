/**
 * Versioned prompt templates. A prompt's hash is stored with every case it shaped, so a verdict can be
 * traced to the exact words the model was given.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

export interface Prompt {
  name: string;
  version: string;
  text: string;
  sha256: string;
}

export function loadPrompt(name: "investigate" | "assess", version = "v1"): Prompt {
  const text = readFileSync(new URL(`./${name}.${version}.md`, import.meta.url), "utf8");
  return { name, version, text, sha256: createHash("sha256").update(text).digest("hex") };
}

/**
 * Fences untrusted content as data (spotlighting): a labelled block whose closing tag cannot be forged
 * from inside, because any tag-like text in the content is neutralised.
 */
export function fenceData(source: string, content: string, maxChars = 20_000): string {
  const cut =
    content.length > maxChars
      ? `${content.slice(0, maxChars)}\n[… ${content.length - maxChars} more characters cut]`
      : content;
  const neutral = cut.replace(/<\/?\s*untrusted_data[^>]*>/gi, "[tag removed]");
  return `<untrusted_data source="${source.replace(/[^a-z0-9_.:-]/gi, "_")}">\n${neutral}\n</untrusted_data>`;
}

/** Phrases that address an AI system from inside data: evidence of a prompt-injection attempt. */
const INJECTION = [
  /\bignore (all |any )?(the )?(previous|prior|above) (instructions|prompts?)\b/i,
  /\b(you are|act as) (now )?(an? )?(ai|assistant|language model|chatgpt|gpt)\b/i,
  /\b(system prompt|developer mode|jailbreak)\b/i,
  /\b(classify|mark|label|report) (this|the) (email|message|alert) as (safe|benign|legitimate|clean)\b/i,
  /\b(ai|assistant|model|analyst bot|llm)s?[, ]+(please )?(disable|isolate|delete|approve|close)\b/i,
  /\bnew instructions?\s*:/i,
];

export function injectionAttempts(texts: Iterable<string>): string[] {
  const found: string[] = [];
  for (const text of texts) {
    for (const pattern of INJECTION) {
      const match = pattern.exec(text.slice(0, 200_000));
      if (match) found.push(match[0]);
    }
  }
  return [...new Set(found)].slice(0, 10);
}
