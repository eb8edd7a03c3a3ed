/**
 * One process of the responder race test (tools/lab/ports.test.ts): opens the lab at argv[2], waits until
 * the shared start instant argv[4] so the processes collide, isolates the fixture host under idempotency
 * key argv[3], and prints the outcome as JSON. Separate processes, because within one process
 * better-sqlite3 calls never overlap and could not show a race.
 */
import { proposedActionSchema } from "../../../core/domain.ts";
import { createLabToolset, openLab } from "../index.ts";
import { FIXTURE } from "./fixture.ts";

const [path, key, startAt] = process.argv.slice(2);
if (path === undefined || key === undefined || startAt === undefined)
  throw new Error("usage: race-worker <lab path> <idempotency key> <start epoch ms>");

const db = openLab(path, { seed: 1 });
try {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
  const action = proposedActionSchema.parse({
    id: "act-race",
    type: "isolate_host",
    target: FIXTURE.host.hostname,
    targetKind: "host",
    reason: "race test",
    blastRadius: 1,
  });
  const outcome = await createLabToolset(db).actions.execute(action, { idempotencyKey: key });
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
} finally {
  db.close();
}
