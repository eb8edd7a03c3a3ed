import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../agent/config.ts";
import type { CampaignLabMessage } from "../tools/lab/campaigns.ts";
import { evaluateCampaigns, renderCampaignEval, scoreGrouping } from "./campaign-eval.ts";

const dir = mkdtempSync(join(tmpdir(), "soc-triage-campaign-eval-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const truth = (group: string, attack: boolean): CampaignLabMessage => ({
  raw: "",
  reporter: "r@x.test",
  group,
  attack,
});
const outcome = (id: string | null, joined: "first" | "body_hash" = "body_hash") => ({
  campaign: id ? { id, size: 1, firstCaseId: "c" } : null,
  joined,
  status: "closed" as const,
});

describe("grouping score", () => {
  it("counts an attack split in two, a legitimate message merged into an attack, and investigations", () => {
    const t = [truth("a", true), truth("a", true), truth("a", true), truth("l", false)];
    const s = scoreGrouping(t, [
      outcome("X", "first"),
      outcome("X"),
      outcome("Y", "first"),
      outcome("X", "first"),
    ]);
    expect(s.completeness).toEqual([{ group: "a", reports: 3, inLargest: 2, share: 2 / 3 }]);
    // Pairs together: (0,1) right, (0,3) and (1,3) wrong.
    expect(s.pairPrecision).toBeCloseTo(1 / 3);
    expect(s.legitimateMergedIntoAttack).toBe(1);
    expect(s.touchesPerAttack).toEqual([{ group: "a", touches: 2 }]);
  });
});

describe("campaign eval on the lab's campaign scenarios", () => {
  it("meets the grouping targets: one campaign per attack, no legitimate mail merged, one touch", async () => {
    const result = await evaluateCampaigns(
      loadConfig({ db: join(dir, "cases.db"), labDb: join(dir, "lab.db") }, {}),
    );
    expect(result.attackCampaigns).toBe(4);
    expect(result.meanCompleteness).toBe(1);
    expect(result.pairPrecision).toBeGreaterThanOrEqual(0.99);
    expect(result.legitimateMergedIntoAttack).toBe(0);
    expect(result.meanTouches).toBe(1);
    expect(result.joinedMs.n).toBeGreaterThan(40);
    expect(renderCampaignEval(result)).toContain("Reports of one attack in one campaign: 100.0%");
  }, 180_000);
});
