/**
 * One process of the migration race test (memory/db.test.ts): waits until the shared start instant argv[3],
 * opens the case database at argv[2] (creating and migrating it), and prints its schema version. Separate
 * processes, because within one process better-sqlite3 calls never overlap and could not show a race.
 */
import { openCaseDatabase } from "../db.ts";

const [path, startAt] = process.argv.slice(2);
if (path === undefined || startAt === undefined)
  throw new Error("usage: open-worker <db path> <start epoch ms>");

await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
const db = openCaseDatabase(path);
const row = db.prepare("SELECT MAX(version) AS version FROM schema_migrations").get();
db.close();
process.stdout.write(`${JSON.stringify(row)}\n`);
