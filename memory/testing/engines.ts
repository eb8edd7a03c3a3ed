/**
 * Both case-database engines for tests that must hold on each: SQLite on a temp file, and PostgreSQL from
 * memory/testing/postgres.ts (TRIAGE_TEST_POSTGRES or a throwaway cluster). Where no PostgreSQL server can
 * be had, its engine carries the reason, and the suite over it skips saying so.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SqlDialect } from "../sql/driver.ts";
import { startTestPostgres } from "./postgres.ts";

export interface TestEngine {
  dialect: SqlDialect;
  /** Why this engine's tests are skipped, or null when it is available. */
  skipReason: string | null;
  /** A fresh, empty database: a file path or a PostgreSQL URL. */
  location(prefix: string): Promise<string>;
}

export async function testEngines(): Promise<{ engines: TestEngine[]; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "triage-engines-"));
  let files = 0;
  const sqlite: TestEngine = {
    dialect: "sqlite",
    skipReason: null,
    location: async (prefix) => join(dir, `${prefix}-${++files}.db`),
  };
  const server = await startTestPostgres();
  const postgres: TestEngine = server.ok
    ? { dialect: "postgres", skipReason: null, location: (prefix) => server.postgres.database(prefix) }
    : {
        dialect: "postgres",
        skipReason: server.reason,
        location: () => Promise.reject(new Error(server.reason)),
      };
  return {
    engines: [sqlite, postgres],
    async stop() {
      if (server.ok) await server.postgres.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The suite title for an engine, naming why it is skipped. */
export function engineTitle(engine: TestEngine): string {
  return engine.skipReason === null ? engine.dialect : `${engine.dialect} (skipped: ${engine.skipReason})`;
}
