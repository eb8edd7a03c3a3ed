import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../agent/config.ts";
import { measureThreshold, variantOf } from "./campaign-threshold.ts";

const corpora = ["email", "email-business"].map((d) => join(projectRoot, "..", "shared", "datasets", d));
const present = corpora.every((d) => existsSync(join(d, "manifest.jsonl")));

describe("campaign variants", () => {
  it("change the recipient, add a greeting with a name, replace tokens and respin one sentence", () => {
    const raw =
      "To: a@x.test\r\nSubject: s\r\n\r\nPlease sign in at https://x.test/a?id=abcdef123456 today.\r\n";
    const v = variantOf(raw, 1);
    expect(v).toContain("To: omar.user@example.org");
    expect(v).toContain("Hi Omar,");
    expect(v).toContain("kindly sign in");
    expect(v).not.toContain("abcdef123456");
  });
});

describe.skipIf(!present)("near-duplicate threshold on the shared corpora", () => {
  if (!present) console.warn(`skipped: ${corpora.join(" and ")} not found (../shared/datasets)`);
  it("keeps distinct legitimate mail of one sender apart and joins campaign variants", async () => {
    const m = await measureThreshold(corpora, { perCorpus: 100 });
    expect(m.legitimate.sameSenderPairs).toBeGreaterThan(1000);
    // Merged legitimate pairs: at most one in a thousand same-sender pairs (the whole rule, not only SimHash).
    expect(m.legitimate.joined / m.legitimate.sameSenderPairs).toBeLessThan(0.001);
    expect(m.variants.joined / m.variants.n).toBeGreaterThan(0.85);
  }, 300_000);
});
