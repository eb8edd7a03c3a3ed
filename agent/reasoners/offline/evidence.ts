/** Reading what earlier tool calls returned, by the same call the playbook planned. */
import type { z } from "zod";
import { evidenceIdFor, type ToolCall, type ToolName } from "../../../tools/catalog.ts";
import type { Evidence } from "../../../core/domain.ts";
import type { Cited } from "../../../tools/analyzers/identity.ts";

export function call(tool: ToolName, args: Record<string, unknown>): ToolCall {
  return { tool, args };
}

export function evidenceFor(evidence: readonly Evidence[], planned: ToolCall): Evidence | undefined {
  const id = evidenceIdFor(planned);
  return evidence.find((e) => e.id === id);
}

/**
 * The parsed result of a call that ran, or null when it has not run, failed, or returned something that
 * does not fit (a failed call's data is an error object, which simply does not parse).
 */
export function resultOf<S extends z.ZodType>(
  evidence: readonly Evidence[],
  planned: ToolCall,
  schema: S,
): Cited<z.infer<S>> | null {
  const found = evidenceFor(evidence, planned);
  if (!found) return null;
  const parsed = schema.safeParse(found.data);
  return parsed.success ? { value: parsed.data, evidenceId: found.id } : null;
}

/** Whether a planned call has run (successfully or not). */
export function hasRun(evidence: readonly Evidence[], planned: ToolCall): boolean {
  return evidenceFor(evidence, planned) !== undefined;
}

export function shiftIso(iso: string, ms: number): string {
  return new Date(Date.parse(iso) + ms).toISOString();
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
