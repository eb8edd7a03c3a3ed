/**
 * On real mail: parseEmail's text of a message that is one HTML part (rendered with html-to-text, no
 * second parse) equals mailparser's own text of it. Skipped, saying why, without ../shared/datasets.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../agent/config.ts";
import { renderableHtml } from "../../tools/analyzers/email/bounds.ts";
import { parseEmail } from "../../tools/analyzers/email/parse.ts";
import { readCorpus } from "./corpus.ts";

const corpus = join(projectRoot, "..", "shared", "datasets", "email");
const present = existsSync(join(corpus, "manifest.jsonl"));

describe.skipIf(!present)("parseEmail's text on the shared corpus", () => {
  if (!present) console.warn(`skipped: ${corpus} not found (../shared/datasets)`);
  it("equals mailparser's for every message that is one renderable HTML part", async () => {
    let compared = 0;
    for (const { raw } of readCorpus(corpus)) {
      const parsed = await simpleParser(raw, { skipHtmlToText: true });
      const html = typeof parsed.html === "string" ? parsed.html : "";
      if (!renderableHtml(html)) continue;
      const facts = await parseEmail(raw);
      if (facts.truncated.length) continue;
      const root: unknown = parsed.headers.get("content-type");
      if (typeof root !== "object" || root === null || !("value" in root) || root.value !== "text/html")
        continue;
      const expected = (await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true })).text ?? "";
      expect(facts.text, raw.slice(0, 200)).toBe(expected);
      compared++;
    }
    expect(compared).toBeGreaterThan(100);
  }, 120_000);
});
