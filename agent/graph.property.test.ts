/**
 * The guarantee the whole tool rests on, tested through the real graph: whatever the reasoner concludes and
 * proposes, and whatever the policy says, the responder only ever sees actions the policy allowed or a
 * permitted person approved.
 */
import { MemorySaver } from "@langchain/langgraph";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SqliteCaseMemory } from "../memory/case-store.ts";
import { openCaseDatabase } from "../memory/db.ts";
import { createLabToolset } from "../tools/lab/ports.ts";
import { createFixtureLab } from "../tools/lab/testing/fixture.ts";
import { isTriageError } from "../core/errors.ts";
import type { ProposedAction, Verdict } from "../core/domain.ts";
import type { ResponseActions } from "../core/ports.ts";
import { defaultBudget, type TriageDeps } from "./deps.ts";
import { buildTriageGraph } from "./graph.ts";
import { defaultOrganization } from "../core/organization.ts";
import {
  actionsArbitrary,
  approvalArbitrary,
  policyArbitrary,
  verdictArbitrary,
} from "./policy/arbitraries.ts";
import type { Policy } from "./policy/schema.ts";
import type { Reasoner } from "./reasoners/types.ts";
import { resumeTriage, runTriage } from "./run-triage.ts";

function scriptedReasoner(verdict: Verdict, actions: ProposedAction[]): Reasoner {
  return {
    name: "scripted",
    plan: async () => ({ calls: [], done: true }),
    assess: async () => ({ verdict, findings: [] }),
    proposeActions: async () => actions,
  };
}

function recordingResponder(executed: string[]): ResponseActions {
  return {
    vendor: "recording",
    supports: () => true,
    execute: async (action) => {
      executed.push(action.id);
      return { outcome: "executed", detail: "recorded" };
    },
  };
}

async function triageOnce(policy: Policy, verdict: Verdict, actions: ProposedAction[]) {
  const lab = createFixtureLab();
  const executed: string[] = [];
  const memory = new SqliteCaseMemory(openCaseDatabase(":memory:"), { now: () => new Date() });
  const deps: TriageDeps = {
    tools: { ...createLabToolset(lab), actions: recordingResponder(executed) },
    reasoner: scriptedReasoner(verdict, actions),
    memory,
    policy,
    organization: defaultOrganization,
    budget: defaultBudget,
    now: () => new Date(),
    interactiveApprovals: true,
  };
  const runtime = { deps, graph: buildTriageGraph(deps, { checkpointer: new MemorySaver() }) };
  return { runtime, executed, close: () => lab.close() };
}

describe("policy gate through the whole graph", () => {
  it("property: executed ⊆ allowed ∪ approved-by-a-permitted-person", async () => {
    await fc.assert(
      fc.asyncProperty(
        policyArbitrary,
        verdictArbitrary,
        actionsArbitrary,
        approvalArbitrary,
        async (policy, verdict, actions, approval) => {
          const { runtime, executed, close } = await triageOnce(policy, verdict, actions);
          try {
            const first = await runTriage(runtime, "FX-1", { dryRun: false });
            const allowed = new Set(
              first.report.actions.filter((a) => a.decision === "allow").map((a) => a.id),
            );
            // Before any answer, only what the policy allowed on its own has run.
            for (const id of executed) expect(allowed.has(id)).toBe(true);
            if (first.status !== "awaiting_approval" || !approval) return;
            let approvedIds = new Set<string>();
            try {
              const second = await resumeTriage(runtime, first.report.caseId, approval);
              approvedIds = new Set(
                second.report.actions
                  .filter(
                    (a) =>
                      a.decision === "require_approval" &&
                      approval.approved &&
                      (approval.actionIds.length === 0 || approval.actionIds.includes(a.id)),
                  )
                  .filter(
                    (a) =>
                      a.approvers.includes("*") ||
                      a.approvers.map((p) => p.toLowerCase()).includes(approval.by.toLowerCase()),
                  )
                  .map((a) => a.id),
              );
            } catch (error) {
              // Refused answers (not an approver, unknown action) must be clean input errors that run nothing.
              expect(isTriageError(error) && error.code).toBe("BAD_INPUT");
            }
            for (const id of executed) expect(allowed.has(id) || approvedIds.has(id)).toBe(true);
            expect(new Set(executed).size).toBe(executed.length);
          } finally {
            close();
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
