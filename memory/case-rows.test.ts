/**
 * Evidence and steps stored once and read back whole, on both engines: steps that point at their evidence
 * row, alert evidence that points at the alerts row, a call run again, and rows written before either.
 */
import { deflateRawSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Alert, Evidence, InvestigationStep } from "../core/domain.ts";
import { ALERT_EVIDENCE_ID } from "../core/ids.ts";
import { SqlCaseMemory } from "./case-store.ts";
import { evidenceRowsOf, stepRowsOf } from "./case-rows.ts";
import { openCaseDatabaseDriver, type CaseDatabaseDriver } from "./sql/open.ts";
import { engineTitle, testEngines } from "./testing/engines.ts";

const { engines, stop } = await testEngines();
afterAll(stop);

const at = "2026-12-07T10:00:00.000Z";
const alertOf = (description: string): Alert => ({
  id: "A-1",
  source: "lab",
  family: "email",
  type: "user_reported_phish",
  title: "Invoice",
  description,
  severity: "medium",
  createdAt: at,
  observables: [{ type: "email", value: "ann@corp.test", role: "reporter" }],
  raw: { note: "x".repeat(300) },
});
const alertEvidence = (alert: Alert): Evidence => ({
  id: ALERT_EVIDENCE_ID,
  tool: "alert_source",
  args: { id: alert.id, source: alert.source },
  summary: `email alert ${alert.type}: ${alert.title}`,
  data: alert,
  collectedAt: at,
});
const evidenceOf = (id: string, summary: string, args: Record<string, unknown> = { q: id }): Evidence => ({
  id,
  tool: "siem_search",
  args,
  summary,
  data: { rows: [{ host: "WS-1" }] },
  collectedAt: at,
});
const stepOf = (e: Evidence, overrides: Partial<InvestigationStep> = {}): InvestigationStep => ({
  round: 1,
  tool: e.tool,
  args: e.args,
  evidenceId: e.id,
  ok: true,
  summary: e.summary,
  durationMs: 5.51,
  ...overrides,
});

const stepRowSchema = z.object({ tool: z.string(), args: z.string(), summary: z.string() });
const dataRowSchema = z.object({ data: z.string(), packed: z.instanceof(Uint8Array).nullable() });

for (const engine of engines) {
  describe.skipIf(engine.skipReason !== null)(`case rows: ${engineTitle(engine)}`, () => {
    /** A case opened with `alert`; evidence goes through the memory, as triage writes it. */
    async function fresh(
      alert: Alert,
    ): Promise<{ driver: CaseDatabaseDriver; memory: SqlCaseMemory; caseId: string }> {
      const driver = await openCaseDatabaseDriver(await engine.location("case-rows"));
      const memory = new SqlCaseMemory(driver, { now: () => new Date(at) });
      return { driver, memory, caseId: await memory.createCase(alert, { reasoner: "offline" }) };
    }
    const stepRows = async (driver: CaseDatabaseDriver, caseId: string) =>
      (
        await driver.all("SELECT tool, args, summary FROM steps WHERE case_id = ? ORDER BY seq", [caseId])
      ).map((r) => stepRowSchema.parse(r));

    it("stores a step that repeats its evidence row, and the alert's evidence, once; reads both back whole", async () => {
      const alert = alertOf("reported with the button");
      const { driver, memory, caseId } = await fresh(alert);
      const first = evidenceOf("ev-1", "28 events in mail");
      const failed = evidenceOf("ev-2", "failed: TIMEOUT");
      const steps = [
        stepOf(first),
        stepOf(failed, { ok: false }),
        // Not in this call's evidence, or differing from it: stored whole.
        stepOf(evidenceOf("ev-3", "elsewhere")),
        stepOf(first, { summary: "28 events in mail, 3 dropped" }),
      ];
      await memory.addEvidence(caseId, [alertEvidence(alert)], []);
      await memory.addEvidence(caseId, [first, failed], steps);

      expect(await stepRows(driver, caseId)).toEqual([
        { tool: "", args: "", summary: "" },
        { tool: "", args: "", summary: "" },
        { tool: "siem_search", args: '{"q":"ev-3"}', summary: "elsewhere" },
        { tool: "siem_search", args: '{"q":"ev-1"}', summary: "28 events in mail, 3 dropped" },
      ]);
      const alertRow = dataRowSchema.parse(
        await driver.get("SELECT data, packed FROM evidence WHERE case_id = ? AND id = ?", [
          caseId,
          ALERT_EVIDENCE_ID,
        ]),
      );
      expect(alertRow).toEqual({ data: "", packed: null });

      expect(await stepRowsOf(driver, caseId)).toEqual(steps);
      expect(JSON.stringify(await stepRowsOf(driver, caseId))).toBe(JSON.stringify(steps));
      expect(await evidenceRowsOf(driver, caseId)).toEqual([first, failed, alertEvidence(alert)]);
      await driver.close();
    });

    it("keeps a redacted alert's evidence whole: it is not the alert as stored", async () => {
      const alert = alertOf("header Authorization: Bearer abcdef0123456789xyz seen");
      const { driver, memory, caseId } = await fresh(alert);
      await memory.addEvidence(caseId, [alertEvidence(alert)], []);
      const [stored] = await evidenceRowsOf(driver, caseId);
      expect(JSON.stringify(stored?.data)).not.toContain("abcdef0123456789xyz");
      expect(stored?.data).toMatchObject({ id: "A-1", title: "Invoice" });
      await driver.close();
    });

    it("gives steps a copy of their evidence row before a call run again replaces it", async () => {
      const { driver, memory, caseId } = await fresh(alertOf("d"));
      const before = evidenceOf("ev-1", "3 events");
      const again = { ...evidenceOf("ev-1", "4 events", { q: "ev-1" }), data: { rows: [] } };
      await memory.addEvidence(caseId, [before], [stepOf(before)]);
      await memory.addEvidence(caseId, [again], [stepOf(again, { round: 2 })]);
      expect(await stepRowsOf(driver, caseId)).toEqual([stepOf(before), stepOf(again, { round: 2 })]);
      expect(await evidenceRowsOf(driver, caseId)).toEqual([again]);
      await driver.close();
    });

    it("reads rows written before: whole steps, evidence copied from the alert, raw deflate without a format byte", async () => {
      const alert = alertOf("d");
      const { driver, caseId } = await fresh(alert);
      const big = {
        ...evidenceOf("ev-1", "s"),
        data: { rows: Array.from({ length: 40 }, (_, i) => ({ i })) },
      };
      const insert = `INSERT INTO evidence (case_id, id, tool, args, summary, data, packed, collected_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
      await driver.run(insert, [
        caseId,
        "ev-1",
        "siem_search",
        '{"q":"ev-1"}',
        "s",
        "",
        deflateRawSync(JSON.stringify(big.data)),
        at,
      ]);
      await driver.run(insert, [
        caseId,
        ALERT_EVIDENCE_ID,
        "alert_source",
        '{"id":"A-1","source":"lab"}',
        "email alert user_reported_phish: Invoice",
        JSON.stringify(alert),
        null,
        at,
      ]);
      await driver.run(
        `INSERT INTO steps (case_id, seq, round, tool, args, evidence_id, ok, summary, duration_ms)
         VALUES (?, 1, 1, 'siem_search', '{"q":"ev-1"}', 'ev-1', 1, 's', 5.51)`,
        [caseId],
      );
      expect(await evidenceRowsOf(driver, caseId)).toEqual([big, alertEvidence(alert)]);
      expect(await stepRowsOf(driver, caseId)).toEqual([stepOf(big)]);
      await driver.close();
    });
  });
}
