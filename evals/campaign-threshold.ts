/**
 * Where the near-duplicate threshold comes from. On real mail nobody here wrote (the shared corpora):
 * the SimHash similarity of distinct legitimate messages from one sender domain (what must stay apart),
 * and of variants made from real messages the way campaigns vary them (recipient, greeting with a name,
 * tracking token, one sentence changed) against their original (what must join). Also how many of the
 * legitimate pairs the whole join rule would merge.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import {
  campaignFingerprint,
  simhashSimilarity,
  type CampaignFingerprint,
} from "../tools/analyzers/email/campaign-fingerprint.ts";
import { joinReason, NEAR_DUPLICATE } from "../tools/analyzers/email/campaign-join.ts";
import { parseEmail } from "../tools/analyzers/email/parse.ts";

const manifestLine = z.object({ file: z.string(), label: z.string() });

export interface ThresholdMeasurement {
  corpora: string[];
  threshold: number;
  legitimate: {
    messages: number;
    sameSenderPairs: number;
    max: number;
    p999: number;
    atOrAbove: number;
    joined: number;
  };
  variants: { n: number; min: number; p01: number; below: number; joined: number };
  /** The legitimate same-sender pairs at or above the threshold, to read by hand. */
  closePairs: Array<{ a: string; b: string; similarity: number; joined: boolean }>;
  /** Counts of legitimate same-sender pairs per similarity band, for the doc table. */
  bands: Array<{ from: number; to: number; legitimatePairs: number; variants: number }>;
}

function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * sorted.length)))] ?? 0;
}

/** A campaign's copy of a message: another recipient, a greeting with their name, new tokens, one sentence changed. */
export function variantOf(raw: string, n: number): string {
  const names = ["Jane", "Omar", "Priya", "Lucas", "Fatima", "Ken"];
  const name = names[n % names.length] ?? "Jane";
  const token = (n * 2654435761).toString(16).padStart(12, "0").slice(0, 12);
  const headerEnd = raw.search(/\r?\n\r?\n/);
  if (headerEnd < 0) return raw;
  const head = raw.slice(0, headerEnd).replace(/^To:.*$/im, `To: ${name.toLowerCase()}.user@example.org`);
  let body = raw.slice(headerEnd);
  body = body.replace(/([?&][a-z_]*(?:id|token|u|r|ref)=)[A-Za-z0-9_-]{6,}/gi, `$1${token}a1`);
  body = body.replace(/^(\r?\n)+/, (m) => `${m}Hi ${name},\n\n`);
  // One sentence changed: the first "please" becomes "kindly" (a common respin).
  body = body.replace(/\bplease\b/i, "kindly");
  return head + body;
}

export async function measureThreshold(
  dirs: readonly string[],
  options: { perCorpus?: number } = {},
): Promise<ThresholdMeasurement> {
  const limit = options.perCorpus ?? 600;
  const legit: Array<{ fp: CampaignFingerprint; domain: string; file: string }> = [];
  const variantSims: number[] = [];
  let variantsJoined = 0;
  for (const dir of dirs) {
    const lines = readFileSync(join(dir, "manifest.jsonl"), "utf8").split("\n").filter(Boolean);
    const entries = lines.map((l) => manifestLine.parse(JSON.parse(l)));
    let legitCount = 0;
    let variantCount = 0;
    for (const e of entries) {
      const isLegit = e.label === "benign";
      if (isLegit ? legitCount >= limit : variantCount >= limit / 3) continue;
      const raw = readFileSync(join(dir, e.file), "latin1");
      const facts = await parseEmail(raw);
      const fp = campaignFingerprint(facts);
      if (isLegit) {
        legitCount++;
        if (fp.simhash && facts.from) legit.push({ fp, domain: facts.from.domain, file: e.file });
      } else {
        if (!fp.simhash) continue;
        variantCount++;
        for (let n = 1; n <= 3; n++) {
          const v = campaignFingerprint(await parseEmail(variantOf(raw, n)));
          if (v.simhash) variantSims.push(simhashSimilarity(fp.simhash, v.simhash));
          if (joinReason(v, fp, { payloadJoins: false, ownDomains: [] })) variantsJoined++;
        }
      }
    }
  }
  const byDomain = new Map<string, typeof legit>();
  for (const l of legit) byDomain.set(l.domain, [...(byDomain.get(l.domain) ?? []), l]);
  const closePairs: ThresholdMeasurement["closePairs"] = [];
  const pairSims: number[] = [];
  let joined = 0;
  for (const group of byDomain.values())
    for (let i = 0; i < group.length; i++)
      for (let j = i + 1; j < group.length; j++) {
        const a = group[i]?.fp;
        const b = group[j]?.fp;
        if (!a?.simhash || !b?.simhash || a.bodyHash === b.bodyHash) continue;
        const similarity = simhashSimilarity(a.simhash, b.simhash);
        pairSims.push(similarity);
        const merged = joinReason(a, b, { payloadJoins: false, ownDomains: [] }) !== null;
        if (merged) joined++;
        if (similarity >= NEAR_DUPLICATE)
          closePairs.push({ a: group[i]?.file ?? "", b: group[j]?.file ?? "", similarity, joined: merged });
      }
  pairSims.sort((a, b) => a - b);
  variantSims.sort((a, b) => a - b);
  const bands = [0, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, NEAR_DUPLICATE, 0.9, 0.95].map((from, i, all) => {
    const to = all[i + 1] ?? 1.0001;
    const inBand = (x: number) => x >= from && x < to;
    return {
      from,
      to: Math.min(to, 1),
      legitimatePairs: pairSims.filter(inBand).length,
      variants: variantSims.filter(inBand).length,
    };
  });
  return {
    corpora: [...dirs],
    threshold: NEAR_DUPLICATE,
    legitimate: {
      messages: legit.length,
      sameSenderPairs: pairSims.length,
      max: pairSims.at(-1) ?? 0,
      p999: quantile(pairSims, 0.999),
      atOrAbove: pairSims.filter((x) => x >= NEAR_DUPLICATE).length,
      joined,
    },
    variants: {
      n: variantSims.length,
      min: variantSims[0] ?? 0,
      p01: quantile(variantSims, 0.01),
      below: variantSims.filter((x) => x < NEAR_DUPLICATE).length,
      joined: variantsJoined,
    },
    closePairs,
    bands,
  };
}
