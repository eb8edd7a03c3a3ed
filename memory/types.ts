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
  /** An analyst's correction, which outranks the engine's disposition. */
  analystDisposition: dispositionSchema.nullish(),
  sharedObservables: z.array(observableSchema.pick({ type: true, value: true })),
  /** Same fingerprint: the same alert content seen before. */
  duplicate: z.boolean(),
});
export type RelatedCase = z.infer<typeof relatedCaseSchema>;

/** What case memory knows about an observable from earlier cases and analyst lists. */
export const observableHistorySchema = z.object({
  type: z.string(),
  value: z.string(),
  /** Cases the observable appeared in before this one. */
  seenInCases: z.number().int(),
  maliciousCases: z.number().int(),
  benignCases: z.number().int(),
  /** From analyst allow/deny lists. */
  listed: z.enum(["allow", "deny"]).nullish(),
});
export type ObservableHistory = z.infer<typeof observableHistorySchema>;
