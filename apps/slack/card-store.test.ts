/** Where verdict cards were posted, on both case-database engines. */
import { afterAll, describe, expect, it } from "vitest";
import { openCaseDatabaseDriver } from "../../memory/sql/open.ts";
import { engineTitle, testEngines } from "../../memory/testing/engines.ts";
import { SlackCardStore } from "./card-store.ts";

const { engines, stop } = await testEngines();
afterAll(stop);

const at = "2026-11-20T10:00:00.000Z";

for (const engine of engines) {
  describe.skipIf(engine.skipReason !== null)(`Slack cards on ${engineTitle(engine)}`, () => {
    it("stores a case's card and moves it when the card is posted again", async () => {
      const driver = await openCaseDatabaseDriver(await engine.location("cards"));
      try {
        await driver.run(
          "INSERT INTO cases (id, alert_id, alert_source, family, type, title, status, reasoner, created_at, updated_at) VALUES ('case-1', 'A-1', 'lab', 'email', 't', 't', 'closed', 'test', ?, ?)",
          [at, at],
        );
        let clock = Date.parse(at);
        const cards = new SlackCardStore(driver, { now: () => new Date(clock) });
        expect(await cards.find("case-1")).toBeNull();
        await cards.save("case-1", { channel: "C1", ts: "1.0" });
        clock += 1000;
        await cards.save("case-1", { channel: "C2", ts: "2.0" });
        expect(await cards.find("case-1")).toEqual({
          caseId: "case-1",
          channel: "C2",
          ts: "2.0",
          createdAt: new Date(clock).toISOString(),
        });
      } finally {
        await driver.close();
      }
    });
  });
}
