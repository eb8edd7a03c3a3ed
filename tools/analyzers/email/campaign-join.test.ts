import { describe, expect, it } from "vitest";
import { campaignLab, type CampaignLabMessage } from "../../lab/campaigns.ts";
import {
  bodyHash,
  campaignFingerprint,
  normalizeBody,
  simhash,
  simhashSimilarity,
  type CampaignFingerprint,
} from "./campaign-fingerprint.ts";
import { campaignKeys, joinReason, NEAR_DUPLICATE, sameThread } from "./campaign-join.ts";
import { parseEmail } from "./parse.ts";

const lab = campaignLab(7);
const fingerprints = new Map<CampaignLabMessage, CampaignFingerprint>();
async function fp(m: CampaignLabMessage): Promise<CampaignFingerprint> {
  const known = fingerprints.get(m);
  if (known) return known;
  const made = campaignFingerprint(await parseEmail(m.raw));
  fingerprints.set(m, made);
  return made;
}
const of = (group: string) => lab.filter((m) => m.group === group);
const join = (a: CampaignFingerprint, b: CampaignFingerprint, payloadJoins = false) =>
  joinReason(a, b, { payloadJoins, ownDomains: ["northwindtraders.com"] });

describe("normalized body", () => {
  it("masks the greeting line, the recipient's name and address, links and tracking tokens", () => {
    const a = normalizeBody(
      "Hi Jane,\nPlease confirm at https://x.test/c?u=9f8e7d6c5b4a3f2e for jane.doe@corp.test, ref a9b8c7d6e5f4",
      ["jane.doe@corp.test"],
    );
    const b = normalizeBody(
      "Dear Omar,\nPlease confirm at https://x.test/c?u=0123456789abcdef for omar.haddad@corp.test, ref 1a2b3c4d5e6f",
      ["omar.haddad@corp.test"],
    );
    expect(a).toBe(b);
    expect(a).toBe("please confirm at for ref");
  });

  it("keeps amounts, so two invoices of one template hash apart", () => {
    const a = normalizeBody("Your invoice for the amount of $1,200.00 is attached to this message.");
    const b = normalizeBody("Your invoice for the amount of $1,900.00 is attached to this message.");
    expect(bodyHash(a)).not.toBe(bodyHash(b));
  });

  it("cuts quoted history and says nothing for a body of fewer than three words", () => {
    expect(normalizeBody("New text here.\n\nOn Mon, Paul wrote:\n> old text")).toBe("new text here");
    expect(bodyHash("ok")).toBeNull();
    expect(simhash("too short to compare")).toBeNull();
  });
});

describe("simhash", () => {
  it("is 1 for equal texts and low for unrelated ones", () => {
    const text = normalizeBody(
      "The quarterly report for the northern region is attached and the figures were checked twice by finance before release to the board.",
    );
    const other = normalizeBody(
      "Lunch on Friday will be served in the atrium because the kitchen is being repainted, please bring your own cup and plate this week.",
    );
    const a = simhash(text);
    const b = simhash(other);
    if (!a || !b) throw new Error("expected simhashes");
    expect(simhashSimilarity(a, a)).toBe(1);
    expect(simhashSimilarity(a, b)).toBeLessThan(NEAR_DUPLICATE);
  });
});

describe("join rule on the lab's campaign scenarios", () => {
  it("joins a gateway fan-out by Message-ID", async () => {
    const [a, b] = of("attack:mailbox-full");
    if (!a || !b) throw new Error("scenario missing");
    expect(join(await fp(a), await fp(b))).toBe("message_id");
  });

  it("joins per-recipient copies (name, greeting, token) by their normalized body", async () => {
    const copies = await Promise.all(of("attack:payroll").map(fp));
    const [first, ...rest] = copies;
    if (!first) throw new Error("scenario missing");
    for (const c of rest) expect(join(c, first)).toBe("body_hash");
  });

  it("joins reworded copies from one infrastructure as near-duplicates", async () => {
    const copies = await Promise.all(of("attack:shared-document").map(fp));
    const [first, ...rest] = copies;
    if (!first) throw new Error("scenario missing");
    for (const c of rest) expect(join(c, first)).toMatch(/^(body_hash|near_duplicate)$/);
    expect(rest.some((c) => join(c, first) === "near_duplicate")).toBe(true);
  });

  it("joins rotating senders through their payload only when the campaign is malicious or suspicious", async () => {
    const copies = await Promise.all(of("attack:remittance").map(fp));
    const differentSender = copies.find(
      (c) => !c.infrastructure.some((i) => copies[0]?.infrastructure.includes(i)),
    );
    const first = copies[0];
    if (!first || !differentSender) throw new Error("scenario missing");
    expect(join(differentSender, first, false)).toBeNull();
    expect(join(differentSender, first, true)).toBe("payload");
  });

  it("never merges one newsletter's issues, one vendor's invoices or the replies of a thread", async () => {
    for (const prefix of ["legit:newsletter-", "legit:invoice-", "legit:thread-"]) {
      const groups = [...new Set(lab.filter((m) => m.group.startsWith(prefix)).map((m) => m.group))];
      expect(groups.length).toBeGreaterThan(2);
      for (const g of groups)
        for (const h of groups) {
          if (g === h) continue;
          const [a] = of(g);
          const [b] = of(h);
          if (!a || !b) throw new Error("scenario missing");
          // Even with payload joining on: legitimate payloads (the brand's site) are not indicators.
          expect(join(await fp(a), await fp(b), true), `${g} vs ${h}`).toBeNull();
        }
    }
  });

  it("recognises a reply in the thread and never joins it, whatever the body", async () => {
    const [a, b] = await Promise.all(of("legit:thread-0").concat(of("legit:thread-1")).map(fp));
    if (!a || !b) throw new Error("scenario missing");
    expect(sameThread(a, b)).toBe(true);
    expect(join({ ...b, bodyHash: a.bodyHash, salient: a.salient }, a)).toBeNull();
  });

  it("looks a report up by Message-ID, body, payload and infrastructure", async () => {
    const [m] = of("attack:remittance");
    if (!m) throw new Error("scenario missing");
    const kinds = new Set(campaignKeys(await fp(m)).map(([kind]) => kind));
    expect([...kinds].sort()).toEqual(["body_hash", "infra", "message_id", "payload"]);
  });
});
