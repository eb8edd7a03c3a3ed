import { reasonerContext } from "../context.ts";
import type { TriageDeps } from "../deps.ts";
import type { TriageStateUpdate, TriageStateValue } from "../state.ts";
import { resolveTarget } from "../targets.ts";
import { proposedActionSchema, type ProposedAction } from "../../core/domain.ts";
import { requireVerdict } from "./require.ts";

/** Response actions the reasoner proposes, validated, de-duplicated and with target facts resolved by code. */
export const proposeActions =
  (deps: TriageDeps) =>
  async (state: TriageStateValue): Promise<TriageStateUpdate> => {
    const verdict = requireVerdict(state);
    const proposed = await deps.reasoner.proposeActions({
      ...reasonerContext(deps, state),
      verdict,
      findings: state.findings,
    });
    const notes: string[] = [];
    const seen = new Set<string>();
    const valid: ProposedAction[] = [];
    for (const candidate of proposed) {
      const parsed = proposedActionSchema.safeParse(candidate);
      if (!parsed.success) {
        notes.push(`dropped a malformed proposed action: ${parsed.error.issues[0]?.message ?? "invalid"}`);
        continue;
      }
      const key = `${parsed.data.type}\u0000${parsed.data.target}`;
      if (seen.has(key)) continue;
      seen.add(key);
      valid.push({ ...parsed.data, id: `act-${valid.length + 1}` });
    }
    const resolved = await Promise.all(
      valid.map((action) => resolveTarget(deps.tools, deps.organization, action)),
    );
    for (const r of resolved) if (r.note) notes.push(r.note);
    return { actions: resolved.map((r) => r.action), notes };
  };
