/**
 * One process of the migration race tests (memory/db.test.ts): waits until the shared start instant argv[3],
 * opens the case database at argv[2] (creating and migrating it), and prints its schema version. argv[4]
 * "driver" opens it through the async SQL driver instead of the synchronous opener. Separate processes,
 * because within one process better-sqlite3 calls never overlap and could not show a race.
 */
import { openCaseDatabase } from "../db.ts";
import { openCaseDatabaseDriver } from "../sql/open.ts";

const [path, startAt, mode] = process.argv.slice(2);
if (path === undefined || startAt === undefined)
  throw new Error("usage: open-worker <db path> <start epoch ms> [driver]");

await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
const sql = "SELECT MAX(version) AS version FROM schema_migrations";
let row: unknown;
if (mode === "driver") {
  const driver = await openCaseDatabaseDriver(path);
  row = await driver.get(sql);
  await driver.close();
} else {
  const db = openCaseDatabase(path);
  row = db.prepare(sql).get();
  db.close();
}
process.stdout.write(`${JSON.stringify(row)}\n`);
