/**
 * A PostgreSQL server for tests. CI starts one and names it in TRIAGE_TEST_POSTGRES; elsewhere a throwaway
 * cluster is started on 127.0.0.1 (a free port, a temp dir) when the server's binaries are installed.
 * PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user. When no server can
 * be had, the result says why, and the tests that need one skip with that reason.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export interface TestPostgres {
  /** The server's maintenance database (`postgres`). */
  url: string;
  /** A new, empty database on the server; dropped again by stop(). */
  database(prefix: string): Promise<string>;
  /** Drops the databases made here and stops the cluster if this helper started it. */
  stop(): Promise<void>;
}

export type TestPostgresResult = { ok: true; postgres: TestPostgres } | { ok: false; reason: string };

/** The newest Debian-installed server's bin directory, or null. */
export function postgresBinDir(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, "bin", "pg_ctl")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : join(root, versions[0], "bin");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs a server binary as the user PostgreSQL accepts: `postgres` when we are root, else ourselves. */
function runAs(asRoot: boolean, command: string, args: string[]): void {
  const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
  execFileSync(file, argv, { stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
}

function ownedByPostgres(dir: string): void {
  const ids = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gids = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  const uid = Number(ids.stdout.trim());
  const gid = Number(gids.stdout.trim());
  if (ids.status !== 0 || !Number.isInteger(uid))
    throw new Error("there is no postgres user to run the server");
  chownSync(dir, uid, gid);
  chmodSync(dir, 0o700);
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function serverOn(url: string, stopServer: () => void): TestPostgres {
  const made: string[] = [];
  let counter = 0;
  return {
    url,
    async database(prefix) {
      const name = `${prefix.toLowerCase().replace(/[^a-z0-9_]/g, "_")}_${process.pid}_${Date.now()}_${++counter}`;
      await adminQuery(url, `CREATE DATABASE ${quoteIdent(name)}`);
      made.push(name);
      return withDatabase(url, name);
    },
    async stop() {
      for (const name of made.splice(0)) {
        // A server that is going away anyway need not drop what it holds.
        await adminQuery(url, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`).catch(
          () => undefined,
        );
      }
      stopServer();
    },
  };
}

/** Starts a cluster in a temp dir; the caller stops it. */
async function throwawayCluster(bin: string): Promise<TestPostgres> {
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "triage-pg-"));
  if (asRoot) ownedByPostgres(dir);
  const data = join(dir, "data");
  runAs(asRoot, join(bin, "initdb"), [
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    "postgres",
    "-E",
    "UTF8",
    "--no-sync",
  ]);
  let lastError: unknown = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      // Durability is worthless for a test cluster: fsync off makes it several times faster.
      const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
      runAs(asRoot, join(bin, "pg_ctl"), [
        "-D",
        data,
        "-o",
        options,
        "-l",
        join(dir, "pg.log"),
        "-w",
        "start",
      ]);
      let stopped = false;
      const stop = () => {
        if (stopped) return;
        stopped = true;
        process.off("exit", stop);
        try {
          runAs(asRoot, join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
        } catch {
          // Already down: nothing to stop.
        }
        rmSync(dir, { recursive: true, force: true });
      };
      // A test run that dies before its afterAll must not leave a server behind.
      process.on("exit", stop);
      return serverOn(`postgres://postgres@127.0.0.1:${port}/postgres`, stop);
    } catch (error) {
      lastError = error;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

/**
 * The server named by TRIAGE_TEST_POSTGRES, else a throwaway cluster, else the reason there is none.
 * Each test file calls it once (beforeAll or top-level await) and stops it in afterAll.
 */
export async function startTestPostgres(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<TestPostgresResult> {
  const given = env.TRIAGE_TEST_POSTGRES;
  if (given) {
    try {
      await adminQuery(given, "SELECT 1");
    } catch (error) {
      return { ok: false, reason: `TRIAGE_TEST_POSTGRES does not answer: ${String(error).split("\n")[0]}` };
    }
    return { ok: true, postgres: serverOn(given, () => undefined) };
  }
  const bin = postgresBinDir();
  if (bin === null)
    return {
      ok: false,
      reason: "no PostgreSQL server installed (apt-get install postgresql) and TRIAGE_TEST_POSTGRES not set",
    };
  try {
    return { ok: true, postgres: await throwawayCluster(bin) };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `a throwaway PostgreSQL cluster did not start: ${text.split("\n")[0]}` };
  }
}
