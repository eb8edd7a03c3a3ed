/** The test server helper: a throwaway cluster or TRIAGE_TEST_POSTGRES, fresh databases, and a clear reason when there is none. */
import pg from "pg";
import { describe, expect, it } from "vitest";
import { postgresBinDir, startTestPostgres } from "./postgres.ts";

describe("test PostgreSQL", () => {
  it("says why there is no server when TRIAGE_TEST_POSTGRES does not answer", async () => {
    const result = await startTestPostgres({ TRIAGE_TEST_POSTGRES: "postgres://nobody@127.0.0.1:1/none" });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/^TRIAGE_TEST_POSTGRES does not answer: /);
  });

  const available = Boolean(process.env.TRIAGE_TEST_POSTGRES) || postgresBinDir() !== null;
  it.skipIf(!available)(
    "gives fresh databases on a server it stops again",
    async () => {
      const result = await startTestPostgres();
      if (!result.ok) throw new Error(result.reason);
      const { postgres } = result;
      const [a, b] = [await postgres.database("helper"), await postgres.database("helper")];
      expect(a).not.toBe(b);
      const client = new pg.Client({ connectionString: a });
      await client.connect();
      const row = await client.query<{ db: string }>("SELECT current_database() AS db");
      await client.end();
      expect(a.endsWith(`/${row.rows[0]?.db}`)).toBe(true);
      await postgres.stop();
      // Its databases are gone (an outside server), or the server itself is (a throwaway one).
      const admin = new pg.Client({ connectionString: postgres.url });
      const gone = await admin
        .connect()
        .then(async () => {
          const names = await admin.query<{ n: string }>(
            "SELECT count(*)::text AS n FROM pg_database WHERE datname LIKE 'helper_%'",
          );
          await admin.end();
          return names.rows[0]?.n === "0";
        })
        .catch(() => true);
      expect(gone).toBe(true);
    },
    60_000,
  );
});
