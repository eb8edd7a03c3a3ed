/**
 * Opens the embedded lab: creates and seeds it on first use, and refuses a file that is not a lab
 * database with one line that says what to do.
 */
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { z } from "zod";
import { TriageError } from "../errors.ts";
import { generateLab } from "./generate.ts";
import { LAB_SCHEMA_VERSION } from "./schema.ts";

export { createLabToolset } from "./ports.ts";

const metaRow = z.object({ value: z.string() });

function bad(path: string, reason: string): TriageError {
  return new TriageError(
    "BAD_DATABASE",
    `${path} is not a soc-triage lab database: ${reason}; delete it or run \`triage lab reset\``,
  );
}

export function openLab(path: string, options: { seed: number }): Database.Database {
  const fresh = path === ":memory:" || !existsSync(path) || statSync(path).size === 0;
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (error) {
    throw bad(path, error instanceof Error ? error.message : String(error));
  }
  try {
    db.pragma("busy_timeout = 5000");
    if (fresh) {
      db.pragma("journal_mode = WAL");
      generateLab(db, options);
      return db;
    }
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    if (hasMeta === undefined) throw bad(path, "it has no lab metadata");
    const version = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get();
    const parsed = version === undefined ? null : metaRow.parse(version).value;
    if (parsed !== String(LAB_SCHEMA_VERSION))
      throw bad(path, `lab schema version ${parsed ?? "missing"}, expected ${LAB_SCHEMA_VERSION}`);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof TriageError) throw error;
    throw bad(path, error instanceof Error ? error.message : String(error));
  }
}
