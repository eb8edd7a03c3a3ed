/**
 * A closed case keeps its report without the parts its rows hold (memory/report-rows.ts rebuilds them as
 * agent/report.ts builds them). Run on real triage: should the two builders drift apart, reports would be
 * kept whole again, silently; this says so instead.
 */
import { afterAll, expect, it } from "vitest";
import { z } from "zod";
import { triageReportSchema } from "../agent/report-schema.ts";
import { FROM_ROWS } from "../memory/report-rows.ts";
import { runBatch } from "./batch.ts";
import { fixtureRuntimes } from "./testing/fixture-runtime.ts";

const { runtime, cleanup } = fixtureRuntimes("soc-triage-kept-reports-");
afterAll(cleanup);

const keptSchema = z.array(z.object({ case_id: z.string(), from_rows: z.number() }));

it("keeps every closed case's report without its alert, evidence, steps, verdict and findings, and reads it back", async () => {
  const opened = await runtime("kept");
  try {
    await runBatch(opened, { limit: 10, concurrency: 1, dryRun: true });
    const kept = keptSchema.parse(
      await opened.memory.driver.all(
        "SELECT r.case_id, r.from_rows FROM case_reports r JOIN cases c ON c.id = r.case_id WHERE c.status = 'closed'",
      ),
    );
    expect(kept.length).toBeGreaterThan(1);
    const all = FROM_ROWS.evidenceAndSteps | FROM_ROWS.verdictAndFindings | FROM_ROWS.alert;
    expect(kept.map((k) => k.from_rows)).toEqual(kept.map(() => all));
    for (const { case_id } of kept) {
      const report = triageReportSchema.parse(await opened.memory.closedReport(case_id));
      expect(report.evidence.length).toBeGreaterThan(0);
      expect(report.steps.length).toBeGreaterThan(0);
    }
  } finally {
    await opened.close();
  }
});
