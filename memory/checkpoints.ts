/**
 * LangGraph checkpoints of closed cases. Each graph step stores a full copy of the state (about 300 kB a
 * case, most of the case database); a closed case never resumes and its report reads only the latest.
 *
 * Pruning goes through the saver's public API, not its tables: the saver has no "delete one checkpoint",
 * so the latest is read (getTuple), the thread deleted (deleteThread) and the latest written back (put,
 * putWrites) with no parent. Only the saver's calls are used, so any BaseCheckpointSaver can be pruned this
 * way; making the three steps atomic is the caller's job (SqliteCaseMemory wraps them in one transaction).
 */
import type { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { z } from "zod";
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
 * Prunes case `caseId`'s checkpoints in a case database whose LangGraph saver shares the connection. The
 * saver's calls are async, so they run inside one driver transaction (BEGIN IMMEDIATE): a crash between
 * deleting the thread and writing the latest back must not leave a closed case without the checkpoint its
 * report is read from. The driver holds the graph's saver (and every other driver user) off the
 * connection until it ends; SqliteCaseMemory's own synchronous writes do not go through the driver yet.
 * No-op when the database never held checkpoints.
 */
export async function pruneCaseCheckpoints(driver: SqliteSqlDriver, caseId: string): Promise<void> {
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
