/**
 * The audit chain on both engines when several clients (as several processes would) append at once: the
 * driver's writers' lock makes read-last-then-append safe, so the rows form one chain, dense and verified,
 * and the shared head file ends at the last row.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readSignedHead } from "./audit-key.ts";
import type { AuditSettings } from "./audit.ts";
import { SqlCaseMemory } from "./case-store.ts";
import { openCaseDatabaseDriver, type CaseDatabaseDriver } from "./sql/open.ts";
import { engineTitle, testEngines } from "./testing/engines.ts";

const { engines, stop } = await testEngines();
const dir = mkdtempSync(join(tmpdir(), "soc-triage-audit-engines-"));
afterAll(async () => {
  await stop();
  rmSync(dir, { recursive: true, force: true });
});

for (const engine of engines) {
  describe.skipIf(engine.skipReason !== null)(`audit chain on ${engineTitle(engine)}`, () => {
    it("stays one chain when three clients append at once", async () => {
      const location = await engine.location("audit");
      const settings: AuditSettings = {
        key: { kind: "env", text: randomBytes(32).toString("hex") },
        headFile: join(dir, `${engine.dialect}.audit-head`),
      };
      const drivers: CaseDatabaseDriver[] = [];
      try {
        const clients = await Promise.all(
          [0, 1, 2].map(async () => {
            const driver = await openCaseDatabaseDriver(location);
            drivers.push(driver);
            return new SqlCaseMemory(driver, { now: () => new Date(), audit: settings });
          }),
        );
        await Promise.all(
          clients.map(async (memory, client) => {
            for (let i = 0; i < 20; i++)
              await memory.audit({ actor: `client-${client}`, event: "tick", caseId: null, payload: { i } });
          }),
        );
        const verified = await clients[0]?.verifyAudit();
        expect(verified).toMatchObject({ ok: true, entries: 60, keyed: 60, checked: ["head file"] });
        // Each client moves the head after its own commits; two may write it out of order (the file is not
        // locked), so it may trail the log, never pass it: verify above checked it against the rows.
        const head = readSignedHead(settings.headFile ?? "", "head");
        expect(head?.seq).toBeGreaterThan(0);
        expect(head?.count).toBe(head?.seq);
      } finally {
        for (const driver of drivers) await driver.close();
      }
    });
  });
}
