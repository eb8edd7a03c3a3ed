import { afterAll, describe, expect, it } from "vitest";
import type { IntelVerdict } from "../core/domain.ts";
import { SqlIntelCache } from "./intel-cache.ts";
import { openCaseDatabaseDriver, type CaseDatabaseDriver } from "./sql/open.ts";
import { engineTitle, testEngines } from "./testing/engines.ts";

const { engines, stop } = await testEngines();
afterAll(stop);

const verdict = (value: IntelVerdict["verdict"]): IntelVerdict => ({
  observable: { type: "domain", value: "evil.test" },
  verdict: value,
  score: 70,
  sources: ["acme"],
  tags: [],
});

for (const engine of engines) {
  describe.skipIf(engine.skipReason !== null)(`SqlIntelCache on ${engineTitle(engine)}`, () => {
    const opened: CaseDatabaseDriver[] = [];
    afterAll(async () => {
      for (const driver of opened) await driver.close();
    });
    const open = async (prefix: string) => {
      const driver = await openCaseDatabaseDriver(await engine.location(prefix));
      opened.push(driver);
      return driver;
    };

    it("returns what was put, one row per vendor and observable, the latest write winning", async () => {
      const cache = new SqlIntelCache(await open("intel"));
      expect(await cache.get("acme", "domain", "evil.test")).toBeNull();
      await cache.put("acme", "domain", "evil.test", verdict("suspicious"), "2026-11-03T10:00:00.000Z");
      await cache.put("acme", "domain", "evil.test", verdict("malicious"), "2026-11-03T11:00:00.000Z");
      expect(await cache.get("acme", "domain", "evil.test")).toEqual({
        verdict: verdict("malicious"),
        fetchedAt: "2026-11-03T11:00:00.000Z",
      });
      expect(await cache.get("other", "domain", "evil.test")).toBeNull();
    });

    it("treats a row that no longer parses as a miss", async () => {
      const driver = await open("intel-bad");
      await driver.run(
        "INSERT INTO intel_cache (vendor, type, value, doc, fetched_at) VALUES ('acme', 'ip', '1.2.3.4', '{not json', 'x')",
      );
      expect(await new SqlIntelCache(driver).get("acme", "ip", "1.2.3.4")).toBeNull();
    });
  });
}
