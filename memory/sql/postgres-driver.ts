/**
 * The PostgreSQL engine: a pg Pool, one client per transaction. Statements are written with SQLite's `?`
 * and numbered here. Every transaction first takes one advisory lock, so writers are serialized across
 * processes and machines exactly as SQLite's BEGIN IMMEDIATE serializes them: a read-then-write (the
 * audit chain's next link, a claim, a lease) never races another writer. Bigints and numerics are read
 * as numbers, as SQLite returns them; a NUL in a string is stored as U+FFFD.
 */
import pg from "pg";
import { createSqlDriver, type SqlDriver, type SqlValue } from "./driver.ts";
import { describePostgresUrl } from "./location.ts";
import { numberedPlaceholders } from "./placeholders.ts";

export interface PostgresSqlDriver extends SqlDriver {
  readonly dialect: "postgres";
  /** The pool, for LangGraph's PostgresSaver. */
  readonly pool: pg.Pool;
}

/** The advisory lock every case-memory transaction holds (one bigint key, scoped to the database). */
export const WRITER_LOCK_KEY = 7_370_612_583_001;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

function toNumber(text: string): number {
  const value = Number(text);
  if (Number.isInteger(value) && !Number.isSafeInteger(value))
    throw new RangeError(`integer ${text} is too large for a JavaScript number`);
  return value;
}

const types: pg.CustomTypesConfig = {
  getTypeParser: (oid, format) =>
    oid === INT8_OID || oid === NUMERIC_OID ? toNumber : pg.types.getTypeParser(oid, format),
};

/**
 * PostgreSQL text cannot hold NUL (SQLite's can): a hostile alert's NUL becomes U+FFFD rather than failing
 * the case. JSON documents never contain one (JSON.stringify escapes it).
 */
function bindable(params: readonly SqlValue[]): unknown[] {
  return params.map((value) =>
    typeof value === "bigint"
      ? value.toString()
      : typeof value === "string" && value.includes("\0")
        ? value.replaceAll("\0", "\uFFFD")
        : value,
  );
}

export interface PostgresDriverOptions {
  /** Clients in the pool; at least 2, so LangGraph's saver can work beside an open transaction. */
  maxConnections?: number;
  /** How long to wait for a connection (default 10 s). */
  connectTimeoutMs?: number;
}

/** A driver over a new pool; nothing connects until the first statement. */
export function createPostgresDriver(url: string, options: PostgresDriverOptions = {}): PostgresSqlDriver {
  const pool = new pg.Pool({
    connectionString: url,
    max: Math.max(2, options.maxConnections ?? 10),
    // A server that does not answer fails the statement in bounded time rather than hanging a worker.
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    types,
  });
  // A client whose server went away (idle, or in the middle of a transaction) is dropped by the pool;
  // the statement in flight rejects, or the next one reports the outage. Unheard, the event would crash
  // the process.
  pool.on("error", () => undefined);
  pool.on("connect", (client) => client.on("error", () => undefined));
  const texts = new Map<string, string>();
  const numbered = (sql: string): string => {
    let text = texts.get(sql);
    if (text === undefined) {
      text = numberedPlaceholders(sql).text;
      if (texts.size >= 512) texts.clear();
      texts.set(sql, text);
    }
    return text;
  };
  const driver = createSqlDriver<pg.Pool | pg.PoolClient>({
    dialect: "postgres",
    where: describePostgresUrl(url),
    outside: (use) => use(pool),
    async inTransaction(use) {
      const client = await pool.connect();
      try {
        // One round trip for both: the key is a constant, so it is written into the text.
        await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${WRITER_LOCK_KEY})`);
        const result = await use(client);
        await client.query("COMMIT");
        client.release();
        return result;
      } catch (error) {
        // A client that cannot even roll back is broken: destroy it rather than return it to the pool.
        await client.query("ROLLBACK").then(
          () => client.release(),
          (rollbackError: unknown) =>
            client.release(rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError))),
        );
        throw error;
      }
    },
    all: async (connection, sql, params) =>
      (await connection.query({ text: numbered(sql), values: bindable(params) })).rows,
    run: async (connection, sql, params) => ({
      changes: (await connection.query({ text: numbered(sql), values: bindable(params) })).rowCount ?? 0,
    }),
    exec: async (connection, script) => void (await connection.query(script)),
    // COMMIT returns once the server has made the transaction durable (synchronous_commit, its default);
    // a server set otherwise has chosen that trade for every client.
    flush: async () => undefined,
    close: () => pool.end(),
  });
  return { ...driver, dialect: "postgres", pool };
}
