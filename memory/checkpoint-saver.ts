/**
 * LangGraph's checkpointer in the case database, so a paused case resumes from any process: SqliteSaver on
 * the SQLite connection, PostgresSaver on the PostgreSQL pool. On SQLite every saver call waits for case
 * memory's open transaction to end (the connection is shared, and a checkpoint written in the middle of a
 * case-memory transaction would commit or roll back with it).
 */
import { BaseCheckpointSaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import type { PostgresSqlDriver } from "./sql/postgres-driver.ts";
import type { SqliteSqlDriver } from "./sql/sqlite-driver.ts";

type Saver = BaseCheckpointSaver;

export interface SaverOptions {
  /** Runs around every call of the saver (SQLite: the driver's serialization). */
  around?: <T>(call: () => Promise<T>) => Promise<T>;
  /** Called after each checkpoint is written (the reliability suite's kill hook). */
  afterPut?: () => void;
}

/** A saver that delegates to another, with `around` each call and `afterPut` after each checkpoint. */
export class GuardedSaver extends BaseCheckpointSaver {
  private readonly inner: Saver;
  private readonly around: NonNullable<SaverOptions["around"]>;
  private readonly afterPut: () => void;

  constructor(inner: Saver, options: SaverOptions) {
    super(inner.serde);
    this.inner = inner;
    this.around = options.around ?? ((call) => call());
    this.afterPut = options.afterPut ?? (() => {});
  }

  getTuple(...args: Parameters<Saver["getTuple"]>): ReturnType<Saver["getTuple"]> {
    return this.around(() => this.inner.getTuple(...args));
  }

  async *list(...args: Parameters<Saver["list"]>): ReturnType<Saver["list"]> {
    // Read whole under the guard: a generator left suspended would hold the connection between yields.
    const tuples = await this.around(async () => {
      const all = [];
      for await (const tuple of this.inner.list(...args)) all.push(tuple);
      return all;
    });
    yield* tuples;
  }

  async put(...args: Parameters<Saver["put"]>): ReturnType<Saver["put"]> {
    const result = await this.around(() => this.inner.put(...args));
    this.afterPut();
    return result;
  }

  putWrites(...args: Parameters<Saver["putWrites"]>): ReturnType<Saver["putWrites"]> {
    return this.around(() => this.inner.putWrites(...args));
  }

  deleteThread(...args: Parameters<Saver["deleteThread"]>): ReturnType<Saver["deleteThread"]> {
    return this.around(() => this.inner.deleteThread(...args));
  }

  override getNextVersion(...args: Parameters<Saver["getNextVersion"]>): ReturnType<Saver["getNextVersion"]> {
    return this.inner.getNextVersion(...args);
  }
}

/**
 * The checkpointer for a case database. On PostgreSQL its tables are set up here, once, under the
 * writers' lock, so two workers starting together do not both create them.
 */
export async function openCheckpointSaver(
  driver: SqliteSqlDriver | PostgresSqlDriver,
  options: { afterPut?: () => void } = {},
): Promise<BaseCheckpointSaver> {
  const afterPut = options.afterPut ? { afterPut: options.afterPut } : {};
  if (driver.dialect === "sqlite")
    return new GuardedSaver(new SqliteSaver(driver.database), {
      around: (call) => driver.serialized(call),
      ...afterPut,
    });
  // Loaded only for PostgreSQL: it costs a SQLite deployment's every start otherwise.
  const { PostgresSaver } = await import("@langchain/langgraph-checkpoint-postgres");
  const saver = new PostgresSaver(driver.pool);
  await driver.transaction(() => saver.setup());
  return options.afterPut ? new GuardedSaver(saver, afterPut) : saver;
}
