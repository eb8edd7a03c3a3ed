/** The numbered migrations on both engines: the same schema, applied once, racing openers included. */
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { TriageError } from "../../core/errors.ts";
import { LATEST_SCHEMA_VERSION } from "../migrations.ts";
import { engineTitle, testEngines } from "../testing/engines.ts";
import type { SqlDriver } from "./driver.ts";
import { openCaseDatabaseDriver, type CaseDatabaseDriver } from "./open.ts";

const { engines, stop } = await testEngines();
afterAll(stop);

/** Every table's columns, sorted, as each engine reports them. */
async function columns(driver: SqlDriver): Promise<Record<string, string[]>> {
  const rows =
    driver.dialect === "sqlite"
      ? await driver.all(
          "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        )
      : await driver.all(
          "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()",
        );
  const result: Record<string, string[]> = {};
  for (const row of z.array(z.object({ table_name: z.string(), column_name: z.string() })).parse(rows))
    (result[row.table_name] ??= []).push(row.column_name);
  for (const list of Object.values(result)) list.sort();
  return result;
}

const schemas: Partial<Record<string, Record<string, string[]>>> = {};

for (const engine of engines) {
  describe.skipIf(engine.skipReason !== null)(`migrations on ${engineTitle(engine)}`, () => {
    const opened: CaseDatabaseDriver[] = [];
    afterAll(async () => {
      for (const driver of opened) await driver.close();
    });
    async function open(location: string): Promise<CaseDatabaseDriver> {
      const driver = await openCaseDatabaseDriver(location);
      opened.push(driver);
      return driver;
    }
    const applied = async (driver: SqlDriver) =>
      z
        .object({ n: z.number(), top: z.number() })
        .parse(await driver.get("SELECT COUNT(*) AS n, MAX(version) AS top FROM schema_migrations"));

    it("brings a new database to the latest version once, and a second open changes nothing", async () => {
      const location = await engine.location("fresh");
      const first = await open(location);
      expect(await applied(first)).toEqual({ n: LATEST_SCHEMA_VERSION, top: LATEST_SCHEMA_VERSION });
      const second = await open(location);
      expect(await applied(second)).toEqual({ n: LATEST_SCHEMA_VERSION, top: LATEST_SCHEMA_VERSION });
      schemas[engine.dialect] = await columns(first);
    });

    it("keeps the audit log append-only in the database itself", async () => {
      const driver = await open(await engine.location("append-only"));
      await driver.run(
        "INSERT INTO audit_log (seq, at, actor, event, case_id, payload, prev_hash, hash, scheme) VALUES (1, 'now', 'test', 'e', NULL, '{}', 'p', 'h', 'hmac-sha256')",
      );
      await expect(driver.run("UPDATE audit_log SET actor = 'forger'")).rejects.toThrow(/append-only/);
      await expect(driver.run("DELETE FROM audit_log")).rejects.toThrow(/append-only/);
      expect(await driver.get("SELECT actor FROM audit_log")).toEqual({ actor: "test" });
    });

    it("numbers approvals by itself and stores confidence in double precision", async () => {
      const driver = await open(await engine.location("types"));
      await driver.run(
        "INSERT INTO cases (id, alert_id, alert_source, family, type, title, status, reasoner, confidence, created_at, updated_at) VALUES ('c1', 'a1', 'lab', 'f', 't', 'x', 'closed', 'offline', ?, 'now', 'now')",
        [0.8123456789],
      );
      for (const approved of [1, 0])
        await driver.run(
          "INSERT INTO approvals (case_id, approved, by, action_ids, comment, at) VALUES ('c1', ?, 'ana', '[]', '', 'now')",
          [approved],
        );
      expect(await driver.all("SELECT seq, approved FROM approvals ORDER BY seq")).toEqual([
        { seq: 1, approved: 1 },
        { seq: 2, approved: 0 },
      ]);
      expect(await driver.get("SELECT confidence FROM cases")).toEqual({ confidence: 0.8123456789 });
    });

    it("refuses a database from a newer soc-triage with one line", async () => {
      const location = await engine.location("newer");
      const driver = await open(location);
      await driver.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', '')", [
        LATEST_SCHEMA_VERSION + 1,
      ]);
      const error: unknown = await openCaseDatabaseDriver(location).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TriageError);
      expect(error).toMatchObject({ code: "BAD_DATABASE" });
      expect(String(error)).toMatch(/schema version \d+ is newer than this soc-triage knows/);
    });

    it.skipIf(engine.dialect !== "postgres")(
      "migrates once when several workers open a new database at once",
      async () => {
        const location = await engine.location("raced");
        const drivers = await Promise.all([1, 2, 3, 4].map(() => open(location)));
        for (const driver of drivers)
          expect(await applied(driver)).toEqual({ n: LATEST_SCHEMA_VERSION, top: LATEST_SCHEMA_VERSION });
      },
    );
  });
}

describe.skipIf(engines.some((engine) => engine.skipReason !== null))("the two engines' schemas", () => {
  it("have the same tables and columns (PostgreSQL adds the rowid SQLite has implicitly)", () => {
    const { sqlite, postgres } = schemas;
    expect(sqlite).toBeDefined();
    const withoutRowid = Object.fromEntries(
      Object.entries(postgres ?? {})
        .filter(([table]) => !table.startsWith("checkpoint"))
        .map(([table, list]) => [table, table === "cases" ? list.filter((c) => c !== "rowid") : list]),
    );
    expect(withoutRowid).toEqual(sqlite);
  });
});

describe("opening a case database by location", () => {
  it("turns away a PostgreSQL URL without a database name or host with one line", async () => {
    await expect(openCaseDatabaseDriver("postgres://127.0.0.1:5432")).rejects.toThrow(
      "postgres://127.0.0.1:5432 names no database (postgres://host/NAME)",
    );
    await expect(openCaseDatabaseDriver("postgresql:///cases")).rejects.toThrow(/names no server host/);
  });

  it("reports a server that does not answer as an unusable database, without the password", async () => {
    const error: unknown = await openCaseDatabaseDriver("postgres://triage:s3cret@127.0.0.1:1/cases", {
      connectTimeoutMs: 2_000,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BAD_DATABASE" });
    const text = String(error);
    expect(text).toMatch(
      /^TriageError: postgres:\/\/triage@127\.0\.0\.1:1\/cases is not a usable soc-triage case database: .*ECONNREFUSED/,
    );
    expect(text).not.toContain("s3cret");
    expect(text).not.toContain("\n");
  });
});
