/**
 * Fault injection for the reliability suite (bench/kill-trials.ts, apps/recovery.test.ts), honoured only
 * when the lab serves the actions, so no real deployment can be slowed or killed by a stray variable:
 * - TRIAGE_TEST_ACTION_DELAY_MS: the lab responder waits this long before and after acting.
 * - TRIAGE_TEST_KILL_AFTER_CHECKPOINTS: the process kills itself (SIGKILL, no clean-up) right after its
 *   Nth checkpoint is written, i.e. at a node boundary.
 */
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import type Database from "better-sqlite3";

export interface TestHooks {
  actionDelayMs?: number;
  killAfterCheckpoints?: number;
}

function whole(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,7}$/.test(text) ? Number(text) : undefined;
}

export function testHooksFrom(env: Readonly<Record<string, string | undefined>>): TestHooks {
  const actionDelayMs = whole(env.TRIAGE_TEST_ACTION_DELAY_MS);
  const killAfterCheckpoints = whole(env.TRIAGE_TEST_KILL_AFTER_CHECKPOINTS);
  return {
    ...(actionDelayMs === undefined ? {} : { actionDelayMs }),
    ...(killAfterCheckpoints === undefined ? {} : { killAfterCheckpoints }),
  };
}

/** A saver that dies like kill -9 right after writing its Nth checkpoint. */
class KillingSaver extends SqliteSaver {
  private written = 0;
  private readonly limit: number;

  constructor(db: Database.Database, limit: number) {
    super(db);
    this.limit = limit;
  }

  override async put(...args: Parameters<SqliteSaver["put"]>): ReturnType<SqliteSaver["put"]> {
    const result = await super.put(...args);
    if (++this.written >= this.limit) process.kill(process.pid, "SIGKILL");
    return result;
  }
}

/** The checkpointer, or one that kills the process at a node boundary when the hook asks for it. */
export function checkpointerFor(db: Database.Database, hooks: TestHooks): SqliteSaver {
  return hooks.killAfterCheckpoints === undefined
    ? new SqliteSaver(db)
    : new KillingSaver(db, hooks.killAfterCheckpoints);
}
