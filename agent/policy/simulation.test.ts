import { describe, expect, it } from "vitest";
import { defaultPolicyPath } from "../config.ts";
import { loadPolicy } from "./loader.ts";
import { decide, SIMULATION_RULE } from "./engine.ts";
import { policySchema } from "./schema.ts";
import type { ProposedAction, Verdict } from "../../core/domain.ts";

const verdict = (category: Verdict["category"], disposition: Verdict["disposition"]): Verdict => ({
  disposition,
  confidence: 1,
  severity: "high",
  category,
  attack: [],
  summary: "s",
  rationale: [],
  evidenceIds: [],
  findingIds: [],
  reasoner: "test",
});
const action = (type: ProposedAction["type"]): ProposedAction => ({
  id: "act-1",
  type,
  target: "<m@x.test>",
  targetKind: "message",
  reason: "r",
  blastRadius: 1,
  targetTags: [],
  params: {},
  evidenceIds: [],
});

describe("a sanctioned simulation is never contained", () => {
  // A policy that would allow anything: the rule is code, not configuration.
  const permissive = policySchema.parse({ version: 1, rules: [{ id: "anything", decision: "allow" }] });
  const containment = [
    "quarantine_message",
    "block_sender",
    "block_domain",
    "block_url",
    "block_ip",
  ] as const;

  for (const type of containment)
    it(`denies ${type} on a simulation whatever the policy file or disposition says`, () => {
      for (const disposition of ["malicious", "suspicious", "benign"] as const) {
        const d = decide(permissive, action(type), verdict("phishing_simulation", disposition));
        expect(d).toMatchObject({ decision: "deny", rule: SIMULATION_RULE });
      }
    });

  it("still thanks the reporter and closes the case under the default policy", () => {
    const policy = loadPolicy(defaultPolicyPath);
    expect(decide(policy, action("notify_reporter"), verdict("phishing_simulation", "benign")).decision).toBe(
      "allow",
    );
    expect(
      decide(permissive, action("quarantine_message"), verdict("credential_phishing", "malicious")).decision,
    ).toBe("allow");
  });
});
