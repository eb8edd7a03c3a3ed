/** The temporary auditor over SQLite case memory's audit log: rows commit with the change, the head follows. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readSignedHead } from "./audit-key.ts";
import { sqliteCampaignAuditor } from "./campaign-audit.ts";
import { SqliteCaseMemory } from "./case-store.ts";
import { openCaseDatabaseDriver } from "./sql/open.ts";

const dir = mkdtempSync(join(tmpdir(), "soc-triage-campaign-audit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const now = () => new Date("2026-11-10T12:00:00Z");

describe("sqliteCampaignAuditor", () => {
  it("commits rows with the driver's transaction and moves the head file on at its commit", async () => {
    const path = join(dir, "cases.db");
    const driver = await openCaseDatabaseDriver(path);
    if (driver.dialect !== "sqlite") throw new Error("expected SQLite");
    try {
      const memory = new SqliteCaseMemory(driver.database, { now, driver });
      const auditor = sqliteCampaignAuditor(memory.sqliteAudit(), driver);
      const entry = { actor: "engine", event: "campaign.created", caseId: null, payload: { n: 1 } };
      await driver.transaction(() => auditor.append([entry, { ...entry, payload: { n: 2 } }]));
      expect(readSignedHead(`${path}.audit-head`, "head")?.seq).toBe(2);
      await expect(
        driver.transaction(async () => {
          await auditor.append([{ ...entry, payload: { n: 3 } }]);
          throw new Error("rolled back");
        }),
      ).rejects.toThrow("rolled back");
      await driver.transaction(() => auditor.append([{ ...entry, payload: { n: 4 } }]));
      const verified = memory.verifyAudit();
      expect(verified).toMatchObject({ ok: true, entries: 3, checked: ["head file"] });
      expect(readSignedHead(`${path}.audit-head`, "head")?.seq).toBe(3);
    } finally {
      await driver.close();
    }
  });
});
