/**
 * The SQL seam case memory is written against: one asynchronous interface over SQLite (better-sqlite3,
 * embedded, the default) and PostgreSQL (pg), so one implementation of each memory module serves both.
 * Statements use `?` placeholders; rows come back as plain objects, to be parsed with a schema by the
 * caller. Integers and numerics come back as numbers from both engines.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export type SqlDialect = "sqlite" | "postgres";

/** What a placeholder may bind. Booleans are stored as 0/1 by the caller, as SQLite has no boolean. */
export type SqlValue = string | number | bigint | null | Uint8Array;

/** A row as the engine returns it: parse it with a schema before use. */
export type SqlRow = Record<string, unknown>;

export interface SqlExecutor {
  readonly dialect: SqlDialect;
  all(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  /** The first row, or undefined. */
  get(sql: string, params?: readonly SqlValue[]): Promise<SqlRow | undefined>;
  /** A statement that returns no rows; `changes` is the number of rows it inserted, updated or deleted. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /** Several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it rejects. Transactions
   * are serialized across processes like SQLite's BEGIN IMMEDIATE (PostgreSQL takes one advisory lock), so
   * a read-then-write inside one never races another writer. Statements issued through the driver while
   * `work` runs join the transaction, and a transaction opened inside it is a savepoint of it, as with
   * better-sqlite3.
   */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** True while the calling async work runs inside one of this driver's transactions. */
  inTransaction(): boolean;
  /**
   * Runs `callback` once the transaction the caller is in has committed (at once outside any); dropped when
   * that transaction, or the savepoint it was registered in, rolls back. For what must follow only durable
   * state (the audit head file, the audit stream). It must not throw: the commit has happened.
   */
  afterCommit(callback: () => void): void;
}

export interface SqlDriver extends SqlExecutor {
  /** Where the database is, without credentials, for messages. */
  readonly where: string;
  /**
   * Resolves once every transaction committed so far through this driver is on stable storage. Commits
   * need not be (SQLite's WAL at synchronous=NORMAL syncs at checkpoints, not at each COMMIT): call it
   * before anything outside the database depends on a commit, such as a response action or the audit
   * head file.
   */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** What an engine provides; createSqlDriver adds nesting, savepoints and the routing of statements. */
export interface SqlEngine<Connection> {
  readonly dialect: SqlDialect;
  readonly where: string;
  /** Runs `use` on a connection outside any transaction (SQLite: once no transaction is open). */
  outside<T>(use: (connection: Connection) => Promise<T>): Promise<T>;
  /** BEGIN, `use`, then COMMIT, or ROLLBACK when it rejects. */
  inTransaction<T>(use: (connection: Connection) => Promise<T>): Promise<T>;
  all(connection: Connection, sql: string, params: readonly SqlValue[]): Promise<SqlRow[]>;
  run(connection: Connection, sql: string, params: readonly SqlValue[]): Promise<{ changes: number }>;
  exec(connection: Connection, script: string): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface OpenTransaction<Connection> {
  readonly connection: Connection;
  /** Set at the end: work started inside the transaction that outlives it (a timer) uses the driver. */
  done: boolean;
  savepoints: number;
  committed: Array<() => void>;
}

/** A driver over `engine`: statements inside a transaction's async work join it, wherever they are issued. */
export function createSqlDriver<Connection>(engine: SqlEngine<Connection>): SqlDriver {
  const scope = new AsyncLocalStorage<OpenTransaction<Connection>>();
  const current = (): OpenTransaction<Connection> | null => {
    const open = scope.getStore();
    return open && !open.done ? open : null;
  };
  const on = <T>(use: (connection: Connection) => Promise<T>): Promise<T> => {
    const open = current();
    return open ? use(open.connection) : engine.outside(use);
  };

  async function savepoint<T>(open: OpenTransaction<Connection>, work: (tx: SqlExecutor) => Promise<T>) {
    const name = `triage_sp_${++open.savepoints}`;
    const registered = open.committed.length;
    await engine.exec(open.connection, `SAVEPOINT ${name}`);
    try {
      const result = await work(executor);
      await engine.exec(open.connection, `RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await engine.exec(open.connection, `ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`);
      open.committed.length = registered;
      throw error;
    }
  }

  const executor: SqlExecutor = {
    dialect: engine.dialect,
    all: (sql, params = []) => on((c) => engine.all(c, sql, params)),
    get: async (sql, params = []) => (await on((c) => engine.all(c, sql, params)))[0],
    run: (sql, params = []) => on((c) => engine.run(c, sql, params)),
    exec: (script) => on((c) => engine.exec(c, script)),
    inTransaction: () => current() !== null,
    afterCommit(callback) {
      const open = current();
      if (open) open.committed.push(callback);
      else callback();
    },
    async transaction(work) {
      const open = current();
      if (open) return savepoint(open, work);
      const committed: Array<() => void> = [];
      const result = await engine.inTransaction(async (connection) => {
        const opened: OpenTransaction<Connection> = { connection, done: false, savepoints: 0, committed };
        try {
          return await scope.run(opened, () => work(executor));
        } finally {
          opened.done = true;
        }
      });
      // Only reached once COMMIT has returned: a rollback rejects above and the callbacks are dropped.
      for (const callback of committed) callback();
      return result;
    },
  };
  return { ...executor, where: engine.where, flush: () => engine.flush(), close: () => engine.close() };
}
