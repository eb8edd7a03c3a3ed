import { describe, expect, it } from "vitest";
import type { ProposedAction, Verdict } from "../../core/domain.ts";
import { decideAll } from "./engine.ts";
import { parsePolicy } from "./loader.ts";

const verdict = (disposition: Verdict["disposition"], confidence: number): Verdict => ({
  disposition,
  confidence,
  severity: "high",
  category: "other",
  attack: [],
  summary: "s",
  rationale: [],
  evidenceIds: [],
  findingIds: [],
  reasoner: "t",
});
const action = (
  id: string,
  type: ProposedAction["type"],
  targetTags: string[] = [],
  blastRadius = 1,
): ProposedAction => ({
  id,
  type,
  target: "t",
  targetKind: "host",
  reason: "",
  blastRadius,
  targetTags,
  params: {},
  evidenceIds: [],
});
const ctx = (recent = 0) => ({ now: new Date(), recentExecutions: () => recent });

const POLICY = parsePolicy(
  `version: 1
approvers: { default: [alice], leads: [lead-1, lead-2] }
rate_limits: [{ action: isolate_host, max: 2, per_minutes: 60 }]
rules:
  - { id: isolate, when: { action: [isolate_host], disposition: [malicious], min_confidence: 0.9 }, decision: allow }
  - { id: servers, when: { action: [isolate_host], target_tags_any: [critical_server] }, decision: require_approval, approvers: [leads] }
  - { id: wide, when: { action: [isolate_host], min_blast_radius: 10 }, decision: deny }
`,
  "test.yaml",
);

describe("policy engine", () => {
  it("denies what no rule matches", () => {
    const [d] = decideAll(POLICY, [action("act-1", "disable_user")], verdict("malicious", 1), ctx());
    expect(d).toMatchObject({ decision: "deny", rule: "default" });
  });

  it("takes the most restrictive matching rule", () => {
    const decisions = decideAll(
      POLICY,
      [
        action("act-1", "isolate_host"),
        action("act-2", "isolate_host", ["critical_server"]),
        action("act-3", "isolate_host", ["critical_server"], 20),
      ],
      verdict("malicious", 0.95),
      ctx(),
    );
    expect(decisions.map((d) => [d.decision, d.rule])).toEqual([
      ["allow", "isolate"],
      ["require_approval", "servers"],
      ["deny", "wide"],
    ]);
    expect(decisions[1]?.approvers).toEqual(["lead-1", "lead-2"]);
  });

  it("turns allow into require_approval past a rate limit, counting this batch", () => {
    const batch = [
      action("act-1", "isolate_host"),
      action("act-2", "isolate_host"),
      action("act-3", "isolate_host"),
    ];
    expect(decideAll(POLICY, batch, verdict("malicious", 0.95), ctx(0)).map((d) => d.decision)).toEqual([
      "allow",
      "allow",
      "require_approval",
    ]);
    expect(decideAll(POLICY, batch, verdict("malicious", 0.95), ctx(2)).map((d) => d.rule)).toEqual([
      "rate-limit:isolate_host",
      "rate-limit:isolate_host",
      "rate-limit:isolate_host",
    ]);
  });
});
