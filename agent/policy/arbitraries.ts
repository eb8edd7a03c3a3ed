/** fast-check generators for policies, verdicts, proposed actions and approvals, shared by property tests. */
import fc from "fast-check";
import {
  actionTargetKindSchema,
  actionTypeSchema,
  dispositionSchema,
  policyDecisionValueSchema,
  type Approval,
  type ProposedAction,
  type Verdict,
} from "../../core/domain.ts";
import { policySchema, type Policy } from "./schema.ts";

const TAGS = ["vip", "executive", "critical_server", "workstation", "internal", "protected", "unresolved"];
const PEOPLE = ["alice", "bob", "soc-lead", "*"];

const confidence = fc.double({ min: 0, max: 1, noNaN: true }).map((x) => Math.round(x * 1000) / 1000);

export const verdictArbitrary: fc.Arbitrary<Verdict> = fc
  .record({
    disposition: fc.constantFrom(...dispositionSchema.options),
    confidence,
  })
  .map(({ disposition, confidence: c }) => ({
    disposition,
    confidence: c,
    severity: "medium",
    category: "other",
    attack: [],
    summary: "generated",
    rationale: [],
    evidenceIds: ["ev-alert"],
    findingIds: [],
    reasoner: "property-test",
  }));

export const actionsArbitrary: fc.Arbitrary<ProposedAction[]> = fc
  .array(
    fc.record({
      type: fc.constantFrom(...actionTypeSchema.options),
      targetKind: fc.constantFrom(...actionTargetKindSchema.options),
      target: fc.constantFrom("WS-1", "bob@corp.test", "evil.test", "<m@x>", "45.1.2.3"),
      blastRadius: fc.integer({ min: 0, max: 200 }),
      targetTags: fc.subarray(TAGS),
    }),
    { minLength: 1, maxLength: 8 },
  )
  .map((items) =>
    items.map((a, i) => ({ ...a, id: `act-${i + 1}`, reason: "generated", params: {}, evidenceIds: [] })),
  );

const conditionArbitrary = fc.record(
  {
    action: fc.subarray([...actionTypeSchema.options], { minLength: 1 }),
    disposition: fc.subarray([...dispositionSchema.options], { minLength: 1 }),
    min_confidence: confidence,
    target_tags_any: fc.subarray(TAGS, { minLength: 1 }),
    target_tags_none: fc.subarray(TAGS, { minLength: 1 }),
    max_blast_radius: fc.integer({ min: 0, max: 200 }),
  },
  { requiredKeys: [] },
);

export const policyArbitrary: fc.Arbitrary<Policy> = fc
  .record({
    rules: fc.array(
      fc.record({
        when: conditionArbitrary,
        decision: fc.constantFrom(...policyDecisionValueSchema.options),
        approvers: fc.subarray(PEOPLE, { minLength: 1 }),
      }),
      { maxLength: 8 },
    ),
    limits: fc.array(
      fc.record({
        action: fc.constantFrom(...actionTypeSchema.options),
        max: fc.integer({ min: 0, max: 3 }),
        per_minutes: fc.integer({ min: 1, max: 120 }),
      }),
      { maxLength: 3 },
    ),
  })
  .map(({ rules, limits }) =>
    policySchema.parse({
      version: 1,
      approvers: { default: ["alice"] },
      rate_limits: limits,
      rules: rules.map((r, i) => ({
        id: `rule-${i}`,
        when: r.when,
        decision: r.decision,
        ...(r.decision === "require_approval" ? { approvers: r.approvers } : {}),
      })),
    }),
  );

/** No answer yet, a denial, or an approval of all or some actions. */
export const approvalArbitrary: fc.Arbitrary<Approval | undefined> = fc.option(
  fc.record({
    approved: fc.boolean(),
    by: fc.constantFrom(...PEOPLE.filter((p) => p !== "*")),
    actionIds: fc.subarray(["act-1", "act-2", "act-3", "act-9"]),
    comment: fc.constant(""),
    at: fc.constant("2026-11-10T12:00:00.000Z"),
  }),
  { nil: undefined },
);
