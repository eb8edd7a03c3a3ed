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
  it("migrates a new database once when several processes open it at the same instant", async () => {
    const path = join(dir, "raced.db");
    const worker = fileURLToPath(new URL("./testing/open-worker.ts", import.meta.url));
    // Every process opens the database at the same instant, once all have booted.
    const startAt = String(Date.now() + 2_500);
    const outputs = await Promise.all(
      [1, 2, 3, 4].map(() =>
        run(process.execPath, ["--import", "tsx", worker, path, startAt], { timeout: 30_000 }),
      ),
    );
    for (const { stdout } of outputs)
      expect(z.object({ version: z.number() }).parse(JSON.parse(stdout)).version).toBe(LATEST_SCHEMA_VERSION);
    const db = openCaseDatabase(path);
    const applied = db.prepare("SELECT COUNT(*) AS n FROM schema_migrations").get();
    db.close();
    expect(z.object({ n: z.number() }).parse(applied).n).toBe(LATEST_SCHEMA_VERSION);
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
