/** Threat-intel verdicts cached in case memory (migration 5), one row per vendor and observable. */
import { z } from "zod";
import type { IntelCacheStore } from "../core/ports.ts";
import type { IntelVerdict } from "../core/domain.ts";
import type { CaseDatabase } from "./db.ts";

const rowSchema = z.object({ doc: z.string(), fetched_at: z.string() });

export class SqliteIntelCache implements IntelCacheStore {
  private readonly db: CaseDatabase;

  constructor(db: CaseDatabase) {
    this.db = db;
  }

  get(vendor: string, type: string, key: string): { verdict: unknown; fetchedAt: string } | null {
    const row = this.db
      .prepare("SELECT doc, fetched_at FROM intel_cache WHERE vendor = ? AND type = ? AND value = ?")
      .get(vendor, type, key);
    if (row === undefined) return null;
    const parsed = rowSchema.parse(row);
    try {
      return { verdict: JSON.parse(parsed.doc) as unknown, fetchedAt: parsed.fetched_at };
    } catch {
      return null;
    }
  }

  put(vendor: string, type: string, key: string, verdict: IntelVerdict, fetchedAt: string): void {
    this.db
      .prepare(
        `INSERT INTO intel_cache (vendor, type, value, doc, fetched_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (vendor, type, value) DO UPDATE SET doc = excluded.doc, fetched_at = excluded.fetched_at`,
      )
      .run(vendor, type, key, JSON.stringify(verdict), fetchedAt);
  }
}
