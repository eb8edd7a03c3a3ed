import { z } from "zod";
import { dispositionSchema, observableSchema } from "../tools/types.ts";

/** A case that shares observables with the alert being triaged. */
export const relatedCaseSchema = z.object({
  caseId: z.string(),
  alertId: z.string(),
  alertType: z.string(),
  title: z.string(),
  createdAt: z.string(),
  disposition: dispositionSchema.nullish(),
  /** A person's word (feedback, or approving the case's containment), which outranks the engine's. */
  analystDisposition: dispositionSchema.nullish(),
  /**
   * The person who settled the case (analyst feedback, or approving its containment actions); absent when
   * the disposition is the engine's own, unconfirmed.
   */
  confirmedBy: z.string().nullish(),
  sharedObservables: z.array(observableSchema.pick({ type: true, value: true })),
  /** Same fingerprint: the same alert content seen before. */
  duplicate: z.boolean(),
});
export type RelatedCase = z.infer<typeof relatedCaseSchema>;

/**
 * What case memory knows about an observable from earlier cases and analyst lists. Confirmed and
 * unconfirmed cases are counted apart: only a person's word may weigh like evidence.
 */
export const observableHistorySchema = z.object({
  type: z.string(),
  value: z.string(),
  /** Cases the observable appeared in before this one. */
  seenInCases: z.number().int(),
  /** Cases a person settled as malicious (analyst feedback, or an approved containment action). */
  confirmedMalicious: z.number().int(),
  /** Cases a person settled as benign (analyst feedback). */
  confirmedBenign: z.number().int(),
  /** Who settled them, for the report's wording. */
  confirmedBy: z.array(z.string()),
  /** The engine's own malicious verdicts that no one confirmed (suspicious ones are not counted). */
  unconfirmedMalicious: z.number().int(),
  /** From analyst allow/deny lists. */
  listed: z.enum(["allow", "deny"]).nullish(),
});
export type ObservableHistory = z.infer<typeof observableHistorySchema>;
