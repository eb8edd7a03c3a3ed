/**
 * The graph owns the run: through the real compiled graph and a checkpointer, the state's reducers keep
 * the run's evidence, steps, notes and model usage (also across a failure and a resume in a new runtime),
 * write-report builds the report into the state, and the node policies retry and bound what they declare.
 */
import { MemorySaver } from "@langchain/langgraph";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { SqliteCaseMemory } from "../memory/case-store.ts";
import { openCaseDatabase } from "../memory/db.ts";
import { createLabToolset } from "../tools/lab/ports.ts";
import { createFixtureLab } from "../tools/lab/testing/fixture.ts";
import type { ToolCall } from "../tools/catalog.ts";
import { addModelUsage, type ModelUsage, type Verdict } from "../core/domain.ts";
import { isTriageError } from "../core/errors.ts";
import { defaultOrganization } from "../core/organization.ts";
import type { ThreatIntel } from "../core/ports.ts";
import { defaultBudget, type TriageBudget, type TriageDeps } from "./deps.ts";
import { buildTriageGraph, nodePolicies } from "./graph.ts";
import type { Policy } from "./policy/schema.ts";
import type { InvestigationPlan, Reasoner, ReasonerContext } from "./reasoners/types.ts";
import { caseReport, resumeTriage, runTriage, threadOf, type TriageRuntime } from "./run-triage.ts";
import { triageStateSchema } from "./state.ts";

const ip = (value: string): ToolCall => ({ tool: "intel_lookup", args: { type: "ip", value } });
const usage = (calls: number, promptTokens: number, completionTokens: number): ModelUsage => ({
  calls,
  promptTokens,
  completionTokens,
});

const verdict: Verdict = {
  disposition: "malicious",
  confidence: 0.9,
  severity: "high",
  category: "credential_phishing",
  attack: [],
  summary: "A phish.",
  rationale: ["scripted"],
  evidenceIds: ["ev-alert"],
  findingIds: [],
  reasoner: "scripted",
};

/** Plans the given rounds (each with its note and model usage), then judges like a model would. */
function scriptedReasoner(
  rounds: InvestigationPlan[],
  options: { assessUsage?: ModelUsage; failAssessments?: number; seen?: ReasonerContext[] } = {},
): Reasoner {
  let failures = options.failAssessments ?? 0;
  const assessUsage = options.assessUsage ?? usage(0, 0, 0);
  return {
    name: "scripted",
    plan: async (ctx) => rounds[ctx.round] ?? { calls: [], done: true },
    assess: async (ctx) => {
      options.seen?.push(ctx);
      if (failures-- > 0) throw new Error("assessment crashed");
      const model = { ...addModelUsage(ctx.usage, assessUsage), prompts: { assess: "sha" } };
      return { verdict: { ...verdict, model }, findings: [], usage: assessUsage };
    },
    proposeActions: async () => [
      {
        id: "x",
        type: "block_domain",
        target: "evil.test",
        targetKind: "domain",
        reason: "phish",
        blastRadius: 1,
      },
    ],
  };
}

const approvalPolicy: Policy = {
  version: 1,
  approvers: {},
  rate_limits: [],
  rules: [{ id: "ask", description: "", when: {}, decision: "require_approval", approvers: ["alice"] }],
};
const allowPolicy: Policy = {
  ...approvalPolicy,
  rules: [{ id: "ok", description: "", when: {}, decision: "allow" }],
};

function runtimeFor(
  reasoner: Reasoner,
  options: {
    policy?: Policy;
    budget?: Partial<TriageBudget>;
    intel?: ThreatIntel;
    checkpointer?: MemorySaver;
    db?: Database.Database;
    memory?: (memory: SqliteCaseMemory) => void;
  } = {},
): TriageRuntime & { checkpointer: MemorySaver; db: Database.Database; memory: SqliteCaseMemory } {
  const tools = createLabToolset(createFixtureLab());
  const db = options.db ?? openCaseDatabase(":memory:");
  const memory = new SqliteCaseMemory(db, { now: () => new Date() });
  options.memory?.(memory);
  const deps: TriageDeps = {
    tools: { ...tools, ...(options.intel ? { intel: options.intel } : {}) },
    reasoner,
    memory,
    policy: options.policy ?? allowPolicy,
    organization: defaultOrganization,
    budget: { ...defaultBudget, ...options.budget },
    now: () => new Date(),
    interactiveApprovals: true,
  };
  const checkpointer = options.checkpointer ?? new MemorySaver();
  return { deps, graph: buildTriageGraph(deps, { checkpointer }), checkpointer, db, memory };
}

describe("the state's reducers", () => {
  it("keep every round's evidence, steps and notes once, in order, and the run's model usage", async () => {
    const note = "model planning failed (HTTP 500); the offline playbook planned this round";
    const runtime = runtimeFor(
      scriptedReasoner(
        [
          { calls: [ip("45.1.2.3"), ip("192.0.2.10")], done: false, note, usage: usage(1, 100, 10) },
          // The same note again, and a call already made: neither is repeated.
          { calls: [ip("45.1.2.3"), ip("198.51.100.7")], done: false, note, usage: usage(1, 200, 20) },
        ],
        { assessUsage: usage(1, 50, 5) },
      ),
    );
    const { report } = await runTriage(runtime, "FX-1", { dryRun: true });
    expect(report.evidence.map((e) => e.args["value"] ?? e.id)).toEqual([
      "ev-alert",
      "45.1.2.3",
      "192.0.2.10",
      "198.51.100.7",
    ]);
    expect(report.steps.map((s) => [s.round, s.args["value"]])).toEqual([
      [1, "45.1.2.3"],
      [1, "192.0.2.10"],
      [2, "198.51.100.7"],
    ]);
    // The reasoner's note reaches the report, once.
    expect(report.notes.filter((n) => n === note)).toHaveLength(1);
    expect(report.verdict.model).toEqual({ ...usage(3, 350, 35), prompts: { assess: "sha" } });
    const state = triageStateSchema.parse((await runtime.graph.getState(threadOf(report.caseId))).values);
    expect(state.usage).toEqual(usage(3, 350, 35));
  });

  it("keep the usage of a run that failed, for the run that resumes it in a new runtime", async () => {
    const rounds: InvestigationPlan[] = [{ calls: [ip("45.1.2.3")], done: false, usage: usage(2, 300, 30) }];
    const first = runtimeFor(scriptedReasoner(rounds, { failAssessments: 1 }));
    const failed = await runTriage(first, "FX-1", { dryRun: true }).catch((error: unknown) => error);
    expect(isTriageError(failed) && failed.message).toMatch(/assessment crashed/);
    const caseId = (await first.memory.listCases({ limit: 1 }))[0]?.caseId ?? "";
    // A new reasoner (as in a new process) over the same case database and checkpoints.
    const seen: ReasonerContext[] = [];
    const second = runtimeFor(scriptedReasoner(rounds, { assessUsage: usage(1, 40, 4), seen }), {
      checkpointer: first.checkpointer,
      db: first.db,
    });
    await second.graph.invoke(null, threadOf(caseId));
    expect(seen[0]?.usage).toEqual(usage(2, 300, 30));
    const report = await caseReport(second, caseId);
    expect(report.status).toBe("closed");
    expect(report.verdict.model).toMatchObject(usage(3, 340, 34));
  });
});

describe("write-report", () => {
  it("builds the report into the state: paused with the case, then closed after the answer", async () => {
    const runtime = runtimeFor(scriptedReasoner([], { assessUsage: usage(1, 10, 1) }), {
      policy: approvalPolicy,
    });
    const paused = await runTriage(runtime, "FX-1", { dryRun: true });
    expect(paused.status).toBe("awaiting_approval");
    const snapshot = await runtime.graph.getState(threadOf(paused.report.caseId));
    expect(snapshot.next).toEqual(["await-approval"]);
    expect(triageStateSchema.parse(snapshot.values).report).toEqual(paused.report);
    const closed = await resumeTriage(runtime, paused.report.caseId, {
      approved: true,
      by: "alice",
      actionIds: [],
      comment: "",
      at: new Date().toISOString(),
    });
    expect(closed.status).toBe("closed");
    expect(closed.report.actions.map((a) => a.status)).toEqual(["dry_run"]);
    // The resumed run reports the usage of the whole run: nothing was lost at the pause.
    expect(closed.report.verdict.model).toEqual(paused.report.verdict.model);
    expect(await caseReport(runtime, paused.report.caseId)).toEqual(closed.report);
  });
});

describe("node policies", () => {
  it("retry recall-cases when the database stayed busy, and nothing else", async () => {
    let calls = 0;
    const busyOnce = (memory: SqliteCaseMemory, error: Error) => {
      const recall = memory.recall.bind(memory);
      memory.recall = (caseId, alert) => {
        if (calls++ === 0) throw error;
        return recall(caseId, alert);
      };
    };
    const busy = runtimeFor(scriptedReasoner([]), {
      memory: (m) => busyOnce(m, new Database.SqliteError("database is locked", "SQLITE_BUSY")),
    });
    expect((await runTriage(busy, "FX-1", { dryRun: true })).status).toBe("closed");
    expect(calls).toBe(2);
    calls = 0;
    const broken = runtimeFor(scriptedReasoner([]), {
      memory: (m) => busyOnce(m, new Database.SqliteError("no such table: observables", "SQLITE_ERROR")),
    });
    await expect(runTriage(broken, "FX-1", { dryRun: true })).rejects.toThrow(/no such table/);
    expect(calls).toBe(1);
  });

  it("fail a case whose tool round outlives every call's limit, with one line", async () => {
    // A port that ignores its abort signal: without the node's timeout the case would wait forever.
    const hung: ThreatIntel = { vendor: "hung", lookup: () => new Promise(() => undefined) };
    const budget = { toolTimeoutMs: 30, toolRetries: 0, maxToolCalls: 2, toolConcurrency: 2 };
    expect(nodePolicies({ ...defaultBudget, ...budget })["run-tools"].timeout).toBe(60);
    const runtime = runtimeFor(scriptedReasoner([{ calls: [ip("45.1.2.3")], done: false }]), {
      budget,
      intel: hung,
    });
    const error = await runTriage(runtime, "FX-1", { dryRun: true }).catch((e: unknown) => e);
    expect(isTriageError(error) && error.code).toBe("INTERNAL");
    expect(error instanceof Error && error.message).toMatch(/^case \S+ failed: .*run-tools.*60ms/);
    expect(error instanceof Error && error.message).not.toContain("\n");
  });
});
