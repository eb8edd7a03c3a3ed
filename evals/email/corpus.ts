/**
 * A labeled email corpus: a directory with manifest.jsonl, one `{ "file", "label", "source"?, "class"? }`
 * line per message, and optionally a config.yaml describing the organization the mail was sent to.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { servedSource } from "../../tools/analyzers/email/source.ts";
import { TriageError } from "../../core/errors.ts";

export const manifestLineSchema = z
  .object({
    file: z.string().min(1),
    label: z.enum(["malicious", "benign"]),
    sha256: z.string().optional(),
    class: z.string().min(1).optional(),
    /** Where the message came from (e.g. "phishing_pot", "enron"): metrics are reported per source. */
    source: z.string().min(1).optional(),
    date: z.string().nullish(),
  })
  .loose();

export interface CorpusMessage {
  file: string;
  label: "malicious" | "benign";
  source: string | null;
  class: string | null;
  /** The manifest's date of the message, when it gives one (for splits by era, never a feature). */
  date: string | null;
  raw: string;
}

/** The corpus's own configuration (DIR/config.yaml), used when no --config is given; null if absent. */
export function corpusConfigPath(dir: string): string | null {
  const path = join(dir, "config.yaml");
  return existsSync(path) ? path : null;
}

/** Reads the manifest and every message it lists; a bad line is one error naming its line number. */
export function readCorpus(dir: string): CorpusMessage[] {
  const manifest = join(dir, "manifest.jsonl");
  if (!existsSync(manifest)) throw new TriageError("BAD_INPUT", `${dir} has no manifest.jsonl`);
  const lines = readFileSync(manifest, "utf8").split(/\r?\n/);
  const out: CorpusMessage[] = [];
  lines.forEach((line, index) => {
    if (!line.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new TriageError("BAD_INPUT", `${manifest}:${index + 1}: not valid JSON`);
    }
    const parsed = manifestLineSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new TriageError(
        "BAD_INPUT",
        `${manifest}:${index + 1}: ${issue?.path.join(".") || "line"}: ${issue?.message ?? "invalid"}`,
      );
    }
    const path = resolve(dir, parsed.data.file);
    if (!existsSync(path))
      throw new TriageError("BAD_INPUT", `${manifest}:${index + 1}: file ${parsed.data.file} not found`);
    out.push({
      file: parsed.data.file,
      label: parsed.data.label,
      source: parsed.data.source ?? null,
      class: parsed.data.class ?? null,
      date: parsed.data.date ?? null,
      // Read when asked, not held: a corpus of a thousand hostile 20 MB messages must not sit in memory.
      // latin1 keeps every byte (8-bit messages without a charset reach the MIME parser unchanged), and
      // the bound is the one `triage email` serves (unchanged unless a bound is hit).
      get raw() {
        return servedSource(readFileSync(path, "latin1"));
      },
    });
  });
  if (!out.length) throw new TriageError("BAD_INPUT", `${manifest} lists no messages`);
  return out;
}
