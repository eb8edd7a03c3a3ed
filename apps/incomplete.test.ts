/**
 * A reported phish whose mail system refuses our token: the message could not be read, so the verdict is
 * an incomplete investigation, loudly, never a benign lean. Real runtime, real Graph vendor module, its
 * fake server refusing the client secret.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderReport } from "./render.ts";
import {
  FAKE_CLIENT_ID,
  FAKE_SECRET,
  FAKE_TENANT,
  startFakeGraph,
  type FakeGraph,
} from "../tools/vendors/graph/testing/fake.ts";
import { loadConfig } from "../agent/config.ts";
import { investigationGaps } from "../agent/incomplete.ts";
import { runTriage } from "../agent/run-triage.ts";
import { openRuntime } from "../agent/setup.ts";

const dir = mkdtempSync(join(tmpdir(), "soc-triage-incomplete-"));
let server: FakeGraph;
beforeAll(async () => {
  server = await startFakeGraph({ refuseAuth: true });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("an investigation that could not reach its tools", () => {
  it("says so loudly when the mail system refuses our token, and never reads as a benign lean", async () => {
    const path = join(dir, "config.yaml");
    writeFileSync(
      path,
      `integrations:
  mail: graph
  vendors:
    graph: { tenantId: "${FAKE_TENANT}", clientId: "${FAKE_CLIENT_ID}", loginUrl: "${server.url}", graphUrl: "${server.url}/v1.0", mailboxes: [ann@corp.test] }
`,
    );
    const config = loadConfig(
      { config: path, db: join(dir, "cases.db"), labDb: join(dir, "lab.db") },
      { AZURE_CLIENT_SECRET: FAKE_SECRET },
    );
    const opened = await openRuntime(config);
    try {
      const phish = (await opened.runtime.deps.tools.alerts.listAlerts({ limit: 50 })).find(
        (a) => a.type === "user_reported_phish",
      );
      expect(phish).toBeDefined();
      const { report } = await runTriage(opened.runtime, phish?.id ?? "", { dryRun: true });
      const { verdict } = report;
      expect(verdict.incomplete?.failedTools).toEqual(
        expect.arrayContaining([expect.stringMatching(/^mail_/)]),
      );
      expect(verdict.incomplete?.reasons.join(" ")).toMatch(/AUTH_FAILED/);
      expect(verdict.summary).toMatch(/^Investigation incomplete: /);
      expect(verdict.summary).not.toMatch(/leaning benign/i);
      expect(verdict.disposition).not.toBe("benign");
      expect(verdict.confidence).toBeLessThanOrEqual(0.5);
      expect(renderReport(report)).toMatch(/INCOMPLETE: could not use mail_/);
      expect((await opened.memory.getCase(report.caseId)).incomplete).toEqual(
        verdict.incomplete?.failedTools,
      );
    } finally {
      await opened.close();
    }
  });

  it("counts neither intel enrichment nor a NOT_FOUND answer, and forgives a failure a later call made up for", () => {
    const step = (tool: string, evidenceId: string, ok: boolean) => ({
      round: 1,
      tool,
      args: {},
      evidenceId,
      ok,
      summary: ok ? "fine" : "failed",
      durationMs: 1,
    });
    const failed = (id: string, code: string) => ({
      id,
      tool: "x",
      args: {},
      summary: "failed",
      data: { error: { code, message: "no" } },
      collectedAt: "2026-11-03T10:00:00.000Z",
    });
    expect(
      investigationGaps(
        [
          step("intel_lookup", "e1", false),
          step("edr_get_host", "e2", false),
          step("siem_search", "e3", false),
          step("siem_search", "e3", true),
        ],
        [failed("e1", "RATE_LIMITED"), failed("e2", "NOT_FOUND"), failed("e3", "TIMEOUT")],
      ),
    ).toBeNull();
    expect(investigationGaps([step("edr_get_host", "e2", false)], [failed("e2", "TIMEOUT")])).toEqual({
      failedTools: ["edr_get_host"],
      reasons: ["edr_get_host failed (TIMEOUT)"],
    });
  });
});
