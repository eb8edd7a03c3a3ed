import { describe, expect, it } from "vitest";
import type { IntelVerdict } from "../core/domain.ts";
import { openCaseDatabase } from "./db.ts";
import { SqliteIntelCache } from "./intel-cache.ts";

const verdict = (value: IntelVerdict["verdict"]): IntelVerdict => ({
  observable: { type: "domain", value: "evil.test" },
  verdict: value,
  score: 70,
  sources: ["acme"],
  tags: [],
});

describe("SqliteIntelCache", () => {
  it("returns what was put, one row per vendor and observable, the latest write winning", () => {
    const db = openCaseDatabase(":memory:");
    const cache = new SqliteIntelCache(db);
    expect(cache.get("acme", "domain", "evil.test")).toBeNull();
    cache.put("acme", "domain", "evil.test", verdict("suspicious"), "2026-11-03T10:00:00.000Z");
    cache.put("acme", "domain", "evil.test", verdict("malicious"), "2026-11-03T11:00:00.000Z");
    expect(cache.get("acme", "domain", "evil.test")).toEqual({
      verdict: verdict("malicious"),
      fetchedAt: "2026-11-03T11:00:00.000Z",
    });
    expect(cache.get("other", "domain", "evil.test")).toBeNull();
    db.close();
  });

  it("treats a row that no longer parses as a miss", () => {
    const db = openCaseDatabase(":memory:");
    db.prepare(
      "INSERT INTO intel_cache (vendor, type, value, doc, fetched_at) VALUES ('acme', 'ip', '1.2.3.4', '{not json', 'x')",
    ).run();
    expect(new SqliteIntelCache(db).get("acme", "ip", "1.2.3.4")).toBeNull();
    db.close();
  });
});
