/**
 * The CaseMemory contract on both engines: SqlCaseMemory over a SQLite file and over a PostgreSQL database
 * (a fresh one per store; skipped, saying why, where no server can be had).
 */
import { afterAll, describe } from "vitest";
import { z } from "zod";
import { SqlCaseMemory } from "./case-store.ts";
import { describeCaseMemoryContract } from "./contract.ts";
import { openCaseDatabaseDriver, type CaseDatabaseDriver } from "./sql/open.ts";
import { engineTitle, testEngines } from "./testing/engines.ts";

const { engines, stop } = await testEngines();
afterAll(stop);

const auditRowSchema = z.object({ event: z.string(), case_id: z.string().nullable() });

for (const engine of engines) {
  describe.skipIf(engine.skipReason !== null)(engineTitle(engine), () => {
    describeCaseMemoryContract(`SqlCaseMemory on ${engine.dialect}`, async (now) => {
      // A file, not :memory:, so a second connection can race the first as another process would.
      const location = await engine.location("contract");
      const driver = await openCaseDatabaseDriver(location);
      const drivers: CaseDatabaseDriver[] = [driver];
      return {
        memory: new SqlCaseMemory(driver, { now }),
        another: async () => {
          const other = await openCaseDatabaseDriver(location);
          drivers.push(other);
          return new SqlCaseMemory(other, { now });
        },
        auditRows: async () =>
          (await driver.all("SELECT event, case_id FROM audit_log ORDER BY seq"))
            .map((r) => auditRowSchema.parse(r))
            .map((r) => ({ event: r.event, caseId: r.case_id })),
        close: async () => {
          for (const other of drivers) await other.close();
        },
      };
    });
  });
}
