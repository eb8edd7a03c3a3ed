import { describeError, isToolError, TriageError } from "../core/errors.ts";
import { alertSchema, type Alert } from "../core/domain.ts";
import type { TriageDeps } from "./deps.ts";
import { normalizeAlert } from "./normalize.ts";

/**
 * The alert an id names: fetched, validated and normalized here, once, before its case exists (so an
 * unknown or malformed alert leaves nothing behind). The case stores it as returned, and the graph starts
 * from it: no node parses or stores it again.
 */
export async function fetchAlert(deps: TriageDeps, alertId: string): Promise<Alert> {
  let fetched: unknown;
  try {
    fetched = await deps.tools.alerts.getAlert(alertId);
  } catch (error) {
    if (isToolError(error) && error.code === "NOT_FOUND") {
      throw new TriageError("NOT_FOUND", `unknown alert id ${alertId} in source ${deps.tools.alerts.name}`);
    }
    throw new TriageError("INTERNAL", `could not fetch alert ${alertId}: ${describeError(error)}`);
  }
  const parsed = alertSchema.safeParse(fetched);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TriageError(
      "BAD_INPUT",
      `alert ${alertId} is malformed: ${issue?.path.join(".") || "alert"}: ${issue?.message ?? "invalid"}`,
    );
  }
  return normalizeAlert(parsed.data);
}
