/**
 * The policy file: rules over action type, disposition, confidence, target tags and blast radius that
 * decide allow | require_approval | deny, plus rate limits and approver groups. Strict objects, so a
 * misspelled key is an error rather than a silently ignored condition.
 */
import { z } from "zod";
import { actionTypeSchema, dispositionSchema, policyDecisionValueSchema } from "../../core/domain.ts";
import { MAX_POLICY_RULES } from "../file-limits.ts";

const confidence = z.number().min(0).max(1);
const tags = z.array(z.string().min(1)).min(1);

export const ruleConditionSchema = z
  .object({
    action: z.array(actionTypeSchema).min(1).optional(),
    disposition: z.array(dispositionSchema).min(1).optional(),
    min_confidence: confidence.optional(),
    max_confidence: confidence.optional(),
    target_tags_any: tags.optional(),
    target_tags_none: tags.optional(),
    min_blast_radius: z.number().int().min(0).optional(),
    max_blast_radius: z.number().int().min(0).optional(),
  })
  .strict()
  .refine(
    (w) =>
      w.min_confidence === undefined ||
      w.max_confidence === undefined ||
      w.min_confidence <= w.max_confidence,
    {
      message: "min_confidence is above max_confidence",
    },
  )
  .refine(
    (w) =>
      w.min_blast_radius === undefined ||
      w.max_blast_radius === undefined ||
      w.min_blast_radius <= w.max_blast_radius,
    { message: "min_blast_radius is above max_blast_radius" },
  );
export type RuleCondition = z.infer<typeof ruleConditionSchema>;

export const policyRuleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "rule ids are lower-case letters, digits and dashes"),
    description: z.string().default(""),
    when: ruleConditionSchema.default({}),
    decision: policyDecisionValueSchema,
    /** Group names or person names who may approve; only for require_approval. */
    approvers: z.array(z.string().min(1)).optional(),
  })
  .strict();
export type PolicyRule = z.infer<typeof policyRuleSchema>;

export const rateLimitSchema = z
  .object({
    action: actionTypeSchema,
    max: z.number().int().min(0),
    per_minutes: z.number().int().min(1),
  })
  .strict();
export type RateLimit = z.infer<typeof rateLimitSchema>;

export const policySchema = z
  .object({
    version: z.literal(1),
    /** Named groups of people; "*" in a group means anyone. */
    approvers: z.record(z.string().min(1), z.array(z.string().min(1))).default({}),
    rate_limits: z.array(rateLimitSchema).default([]),
    rules: z.array(policyRuleSchema).max(MAX_POLICY_RULES).default([]),
  })
  .strict()
  .superRefine((policy, ctx) => {
    const seen = new Set<string>();
    policy.rules.forEach((rule, index) => {
      if (seen.has(rule.id))
        ctx.addIssue({
          code: "custom",
          path: ["rules", index, "id"],
          message: `duplicate rule id ${rule.id}`,
        });
      seen.add(rule.id);
      if (rule.approvers && rule.decision !== "require_approval") {
        ctx.addIssue({
          code: "custom",
          path: ["rules", index, "approvers"],
          message: "approvers only apply to require_approval",
        });
      }
    });
  });
export type Policy = z.infer<typeof policySchema>;
