import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { recordingSleep } from "../../tools/testing/fake-http.ts";
import { startAbuseIpdbFake } from "../../tools/vendors/abuseipdb/testing/fake.ts";
import { z } from "zod";
import { evidenceSchema, investigationStepSchema } from "../../core/domain.ts";
import { createLabToolset } from "../../tools/lab/index.ts";
import { createFixtureLab } from "../../tools/lab/testing/fixture.ts";
import type { ThreatIntel } from "../../core/ports.ts";
import { SqliteCaseMemory } from "../../memory/case-store.ts";
import { openCaseDatabase } from "../../memory/db.ts";
import { defaultPolicyPath, loadConfig } from "../config.ts";
import { composeTools } from "../setup.ts";
import { defaultBudget, type TriageDeps } from "../deps.ts";
import { defaultOrganization } from "../../core/organization.ts";
import { loadPolicy } from "../policy/loader.ts";
import { createOfflineReasoner } from "../reasoners/offline/index.ts";
import { triageStateSchema } from "../state.ts";
import { runTools } from "./run-tools.ts";

/** A lab toolset whose intel lookups wait to be released, counting how many are in flight at once. */
function gatedIntel() {
  const tools = createLabToolset(createFixtureLab());
  let inFlight = 0;
  let peak = 0;
  const intel: ThreatIntel = {
    vendor: "gated",
    async lookup(observable) {
      inFlight++;
      peak = Math.max(peak, inFlight);
      // Yield a few turns so every call the node allows has started before any finishes.
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return tools.intel.lookup(observable);
    },
  };
  return { tools: { ...tools, intel }, peak: () => peak };
}

async function runRound(toolConcurrency: number) {
  const gated = gatedIntel();
  const saved: string[] = [];
  const memory = new SqliteCaseMemory(openCaseDatabase(":memory:"), { now: () => new Date() });
  memory.addEvidence = async (_caseId, evidence) => void saved.push(...evidence.map((e) => e.id));
  const deps: TriageDeps = {
    tools: gated.tools,
    reasoner: createOfflineReasoner(),
    memory,
    policy: loadPolicy(defaultPolicyPath),
    organization: defaultOrganization,
    budget: { ...defaultBudget, toolConcurrency },
    now: () => new Date("2026-11-03T10:00:00Z"),
    interactiveApprovals: false,
  };
  const ips = ["45.1.2.3", "192.0.2.10", "192.0.2.11", "10.0.0.5", "198.51.100.7"];
  const state = triageStateSchema.parse({
    caseId: "case-1",
    alertId: "FX-1",
    pendingCalls: ips.map((value) => ({ tool: "intel_lookup", args: { type: "ip", value } })),
  });
  const update = await runTools(deps)(state);
  return { update, saved, peak: gated.peak(), ips };
}

describe("run-tools", () => {
  it("runs a round's calls at most toolConcurrency at a time, keeping their order", async () => {
    const sequential = await runRound(1);
    const bounded = await runRound(2);
    const wide = await runRound(8);
    expect([sequential.peak, bounded.peak, wide.peak]).toEqual([1, 2, 5]);
    for (const run of [sequential, bounded, wide]) {
      // Only this round's steps: the reducer appends them to the state's.
      const steps = z.array(investigationStepSchema).parse(run.update.steps);
      expect(steps.map((s) => s.args.value)).toEqual(run.ips);
      expect(steps.every((s) => s.ok)).toBe(true);
      expect(run.saved).toHaveLength(5);
    }
  });

  it("leaves retries to the vendor's HTTP client: a throttling vendor gets toolRetries + 1 requests in all", async () => {
    const fake = await startAbuseIpdbFake({ apiKey: "k" });
    const dir = mkdtempSync(join(tmpdir(), "run-tools-"));
    try {
      fake.inject({ status: 429, headers: { "retry-after": "1" }, body: {} }, { times: 100 });
      const config = join(dir, "config.yaml");
      const vendors = { abuseipdb: { baseUrl: fake.baseUrl } };
      writeFileSync(
        config,
        stringify({ budget: { toolRetries: 2 }, integrations: { intel: "abuseipdb", vendors } }),
      );
      const loaded = loadConfig(
        { config, db: join(dir, "cases.db"), labDb: join(dir, "lab.db") },
        {
          ABUSEIPDB_API_KEY: "k",
        },
      );
      const { sleep, waits } = recordingSleep();
      const composed = await composeTools(loaded, { now: () => new Date(), http: { sleep } });
      const memory = new SqliteCaseMemory(openCaseDatabase(":memory:"), { now: () => new Date() });
      const deps: TriageDeps = {
        tools: composed.tools,
        reasoner: createOfflineReasoner(),
        memory,
        policy: loadPolicy(defaultPolicyPath),
        organization: defaultOrganization,
        budget: loaded.budget,
        now: () => new Date("2026-11-03T10:00:00Z"),
        interactiveApprovals: false,
      };
      memory.addEvidence = () => Promise.resolve();
      const state = triageStateSchema.parse({
        caseId: "case-1",
        alertId: "FX-1",
        pendingCalls: [{ tool: "intel_lookup", args: { type: "ip", value: "45.1.2.3" } }],
      });
      const update = await runTools(deps)(state);
      composed.tools.close?.();
      expect(fake.requests).toHaveLength(3);
      expect(waits).toHaveLength(2);
      const steps = z.array(investigationStepSchema).parse(update.steps);
      expect(steps.map((s) => [s.ok, s.summary.includes("HTTP 429")])).toEqual([[false, true]]);
      expect(z.array(evidenceSchema).parse(update.evidence)[0]?.data).toMatchObject({
        error: { code: "RATE_LIMITED" },
      });
    } finally {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
