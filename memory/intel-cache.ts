/** Threat-intel verdicts cached in case memory (migration 5), one row per vendor and observable. */
import { z } from "zod";
import type { IntelCacheStore } from "../core/ports.ts";
import type { IntelVerdict } from "../core/domain.ts";
import type { SqlDriver } from "./sql/driver.ts";

const rowSchema = z.object({ doc: z.string(), fetched_at: z.string() });

export class SqlIntelCache implements IntelCacheStore {
  private readonly driver: SqlDriver;

  constructor(driver: SqlDriver) {
    this.driver = driver;
  }

  async get(
    vendor: string,
    type: string,
    key: string,
  ): Promise<{ verdict: unknown; fetchedAt: string } | null> {
    const row = await this.driver.get(
      "SELECT doc, fetched_at FROM intel_cache WHERE vendor = ? AND type = ? AND value = ?",
      [vendor, type, key],
    );
    if (row === undefined) return null;
    const parsed = rowSchema.parse(row);
    try {
      return { verdict: JSON.parse(parsed.doc) as unknown, fetchedAt: parsed.fetched_at };
    } catch {
      return null;
    }
  }

  async put(
    vendor: string,
    type: string,
    key: string,
    verdict: IntelVerdict,
    fetchedAt: string,
  ): Promise<void> {
    await this.driver.run(
      `INSERT INTO intel_cache (vendor, type, value, doc, fetched_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (vendor, type, value) DO UPDATE SET doc = excluded.doc, fetched_at = excluded.fetched_at`,
      [vendor, type, key, JSON.stringify(verdict), fetchedAt],
    );
  }
}
