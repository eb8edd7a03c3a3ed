import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { openCaseDatabase } from "./db.ts";
import { LATEST_SCHEMA_VERSION } from "./migrations.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "case-db-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("openCaseDatabase", () => {
  async function race(path: string, modes: ReadonlyArray<"sync" | "driver">): Promise<void> {
    const worker = fileURLToPath(new URL("./testing/open-worker.ts", import.meta.url));
    // Every process opens the database at the same instant, once all have booted.
    const startAt = String(Date.now() + 2_500);
    const outputs = await Promise.all(
      modes.map((mode) =>
        run(process.execPath, ["--import", "tsx", worker, path, startAt, mode], { timeout: 30_000 }),
      ),
    );
    for (const { stdout } of outputs)
      expect(z.object({ version: z.number() }).parse(JSON.parse(stdout)).version).toBe(LATEST_SCHEMA_VERSION);
    const db = openCaseDatabase(path);
    const applied = db.prepare("SELECT COUNT(*) AS n FROM schema_migrations").get();
    db.close();
    expect(z.object({ n: z.number() }).parse(applied).n).toBe(LATEST_SCHEMA_VERSION);
  }

  it("migrates a new database once when several processes open it at the same instant", async () => {
    await race(join(dir, "raced.db"), ["sync", "sync", "sync", "sync"]);
  });

  it("migrates once when the async driver and the synchronous opener race on a new database", async () => {
    await race(join(dir, "raced-driver.db"), ["driver", "sync", "driver", "driver"]);
  });

  it("turns away a PostgreSQL URL with one line instead of making a file of it", () => {
    expect(() => openCaseDatabase("postgres://triage:pw@127.0.0.1:5432/cases")).toThrow(
      "postgres://triage@127.0.0.1:5432/cases is not a usable soc-triage case database: this command keeps case memory in a SQLite file (PostgreSQL goes through memory/sql/open.ts)",
    );
  });

  it("refuses a database from a newer soc-triage with one line", () => {
    const path = join(dir, "newer.db");
    const db = openCaseDatabase(path);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', '')").run(
      LATEST_SCHEMA_VERSION + 1,
    );
    db.close();
    expect(() => openCaseDatabase(path)).toThrow(/schema version \d+ is newer than this soc-triage knows/);
  });
});
