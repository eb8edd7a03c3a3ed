/**
 * LangGraph checkpoints of closed cases. Each graph step stores a full copy of the state (about 300 kB a
 * case, most of the case database); a closed case never resumes and its report reads only the latest.
 */
import { z } from "zod";
import type { CaseDatabase } from "./db.ts";

const countRowSchema = z.object({ n: z.number() });
const checkpointIdRowSchema = z.object({ id: z.string() });

/** Drops a case's checkpoints but the latest. No-op when the checkpointer's tables are absent. */
export function pruneCheckpoints(db: CaseDatabase, caseId: string): void {
  const tables = db
    .prepare(
      "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('checkpoints', 'writes')",
    )
    .get();
  if (countRowSchema.parse(tables).n < 2) return;
  db.transaction(() => {
    const latest = db
      .prepare(
        "SELECT checkpoint_id AS id FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = '' ORDER BY checkpoint_id DESC LIMIT 1",
      )
      .get(caseId);
    if (latest === undefined) return;
    const { id } = checkpointIdRowSchema.parse(latest);
    db.prepare("DELETE FROM writes WHERE thread_id = ? AND checkpoint_id <> ?").run(caseId, id);
    db.prepare("DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id <> ?").run(caseId, id);
  }).immediate();
}
