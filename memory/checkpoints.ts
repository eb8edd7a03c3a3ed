/**
 * LangGraph checkpoints of closed cases. Each graph step stores a full copy of the state (about 300 kB a
 * case, most of the case database); a closed case never resumes and its report reads only the latest.
 *
 * Pruning goes through the saver's public API, not its tables: the saver has no "delete one checkpoint",
 * so the latest is read (getTuple), the thread deleted (deleteThread) and the latest written back (put,
 * putWrites) with no parent. Only the saver's calls are used, so any BaseCheckpointSaver can be pruned this
 * way; making the three steps atomic is the caller's job (pruneCaseCheckpoints wraps them in one transaction).
 */
import type { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { z } from "zod";
import type { PostgresSqlDriver } from "./sql/postgres-driver.ts";
import type { SqliteSqlDriver } from "./sql/sqlite-driver.ts";

const countRowSchema = z.object({ n: z.number() });

/** The part of a LangGraph checkpoint saver that pruning uses (SqliteSaver, PostgresSaver, MemorySaver). */
export type PrunableSaver = Pick<SqliteSaver, "getTuple" | "deleteThread" | "put" | "putWrites">;

type PendingWrites = NonNullable<Awaited<ReturnType<SqliteSaver["getTuple"]>>>["pendingWrites"];

/** Groups a checkpoint's pending writes by the task that wrote them, as putWrites takes them. */
function byTask(pending: PendingWrites): Map<string, Array<[string, unknown]>> {
  const tasks = new Map<string, Array<[string, unknown]>>();
  for (const [taskId, channel, value] of pending ?? []) {
    const writes = tasks.get(taskId) ?? [];
    writes.push([channel, value]);
    tasks.set(taskId, writes);
  }
  return tasks;
}

/**
 * Keeps only the latest root checkpoint of `threadId` (with its pending writes); false when the thread
 * has none. Subgraph checkpoints go too: a closed case's report reads the root state only.
 */
export async function keepLatestCheckpoint(saver: PrunableSaver, threadId: string): Promise<boolean> {
  const root = { configurable: { thread_id: threadId, checkpoint_ns: "" } };
  const latest = await saver.getTuple(root);
  if (latest === undefined) return false;
  // Every step that can fail on the data (reading it back) is done before anything is deleted.
  const writes = byTask(latest.pendingWrites);
  await saver.deleteThread(threadId);
  // No checkpoint_id in the config: the kept checkpoint has no parent left to point to.
  const kept = await saver.put(
    root,
    latest.checkpoint,
    latest.metadata ?? { source: "fork", step: -1, parents: {} },
  );
  for (const [taskId, taskWrites] of writes) await saver.putWrites(kept, taskWrites, taskId);
  return true;
}

/**
 * Prunes case `caseId`'s checkpoints in a case database whose LangGraph saver shares it. On SQLite the
 * saver's calls are async, so they run inside one driver transaction (BEGIN IMMEDIATE): a crash between
 * deleting the thread and writing the latest back must not leave a closed case without the checkpoint its
 * report is read from. The driver holds the graph's saver (and every other driver user) off the connection
 * until it ends. No-op when the database never held checkpoints.
 */
export async function pruneCaseCheckpoints(
  driver: SqliteSqlDriver | PostgresSqlDriver,
  caseId: string,
): Promise<void> {
  if (driver.dialect === "postgres") return prunePostgresCheckpoints(driver, caseId);
  const tables = await driver.get(
    "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('checkpoints', 'writes')",
  );
  if (countRowSchema.parse(tables).n < 2) return;
  // Loaded here, not at start: listing cases should not load LangGraph.
  const { SqliteSaver } = await import("@langchain/langgraph-checkpoint-sqlite");
  const saver = new SqliteSaver(driver.database);
  await driver.transaction(async () => {
    await keepLatestCheckpoint(saver, caseId);
  });
}

/**
 * PostgresSaver works on its own pool clients, which cannot join a driver transaction; so on PostgreSQL the
 * same pruning is done on its tables (checkpoints, checkpoint_blobs, checkpoint_writes of
 * @langchain/langgraph-checkpoint-postgres 1.x) in one transaction: keep the latest root checkpoint, its
 * pending writes and the blobs its channel_versions name; drop the rest of the thread, subgraphs included.
 */
async function prunePostgresCheckpoints(driver: PostgresSqlDriver, threadId: string): Promise<void> {
  const table = await driver.get("SELECT to_regclass('checkpoint_blobs') IS NOT NULL AS present");
  if (!z.object({ present: z.boolean() }).parse(table).present) return;
  await driver.transaction(async (tx) => {
    const latest = await tx.get(
      "SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = '' ORDER BY checkpoint_id DESC LIMIT 1",
      [threadId],
    );
    if (latest === undefined) return;
    const keep = z.object({ checkpoint_id: z.string() }).parse(latest).checkpoint_id;
    await tx.run(
      "DELETE FROM checkpoint_blobs b WHERE b.thread_id = ? AND NOT EXISTS (SELECT 1 FROM checkpoints c, jsonb_each_text(c.checkpoint -> 'channel_versions') v WHERE c.thread_id = b.thread_id AND c.checkpoint_ns = '' AND c.checkpoint_id = ? AND b.checkpoint_ns = '' AND v.key = b.channel AND v.value = b.version)",
      [threadId, keep],
    );
    await tx.run(
      "DELETE FROM checkpoint_writes WHERE thread_id = ? AND NOT (checkpoint_ns = '' AND checkpoint_id = ?)",
      [threadId, keep],
    );
    await tx.run(
      "DELETE FROM checkpoints WHERE thread_id = ? AND NOT (checkpoint_ns = '' AND checkpoint_id = ?)",
      [threadId, keep],
    );
    // The kept checkpoint has no parent left to point to.
    await tx.run(
      "UPDATE checkpoints SET parent_checkpoint_id = NULL WHERE thread_id = ? AND checkpoint_ns = '' AND checkpoint_id = ?",
      [threadId, keep],
    );
  });
}
