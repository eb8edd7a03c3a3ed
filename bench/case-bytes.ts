/**
 * Bytes of case memory per closed case (issue #14 target: ≤ 10 kB). Triages N lab alerts, dry run and
 * offline, into a fresh SQLite case database as `triage batch` does (checkpointer on), then reports the
 * bytes of the rows each closed case owns, by table (the target's measure: a paused case's checkpoints
 * are not a closed case's cost), the whole database per closed case (pages in use by each table with its
 * indexes, from dbstat; the file size) and the evidence payload by tool.
 *
 * Alone: npx tsx bench/case-bytes.ts [--alerts 200]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { z } from "zod";
import { loadConfig } from "../agent/config.ts";
import { openRuntime } from "../agent/setup.ts";
import { runBatch } from "../apps/batch.ts";
import { renderTable } from "../apps/render.ts";

const KB = 1024;
/** An evidence row's data: its JSON text, or its deflated bytes (migration 10). */
const DATA_BYTES = "LENGTH(data) + COALESCE(LENGTH(packed), 0)";
const TARGET_KB = 10;

const tableRowSchema = z.object({ name: z.string(), bytes: z.number(), payload: z.number() });
const toolRowSchema = z.object({ tool: z.string(), n: z.number(), avg: z.number(), max: z.number() });
const countSchema = z.object({ n: z.number() });
const columnSchema = z.object({ name: z.string() });

/** The column that says which case a row belongs to (LangGraph's tables: the thread, named by case id). */
const CASE_KEYS = ["case_id", "thread_id"];

export interface CaseBytes {
  closed: number;
  fileBytes: number;
  usedBytes: number;
  /** Pages in use by each table with its indexes, and the row payload bytes in them. */
  tables: Array<{ name: string; bytes: number; payload: number }>;
  tools: Array<z.infer<typeof toolRowSchema>>;
  /** Bytes of the column values in each table's rows that belong to a closed case, summed over them. */
  closedRows: Array<{ name: string; bytes: number }>;
}

/** Per table keyed by case: the bytes of every value in the rows of closed cases (no page overhead). */
function closedRowBytes(db: Database.Database): Array<{ name: string; bytes: number }> {
  const names = z
    .array(columnSchema)
    .parse(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all());
  const rows: Array<{ name: string; bytes: number }> = [];
  for (const { name } of names) {
    const columns = z
      .array(columnSchema)
      .parse(db.prepare("SELECT name FROM pragma_table_info(?)").all(name))
      .map((c) => c.name);
    const key = CASE_KEYS.find((k) => columns.includes(k));
    if (key === undefined) continue;
    const size = columns.map((c) => `COALESCE(LENGTH(CAST("${c}" AS BLOB)), 0)`).join(" + ");
    const bytes = countSchema.parse(
      db
        .prepare(
          `SELECT COALESCE(SUM(${size}), 0) AS n FROM "${name}"
           WHERE "${key}" IN (SELECT id FROM cases WHERE status = 'closed')`,
        )
        .get(),
    ).n;
    if (bytes > 0) rows.push({ name, bytes });
  }
  return rows.sort((a, b) => b.bytes - a.bytes);
}

/** Measures a case database after a WAL checkpoint, so every page is in the file. */
export function measureCaseBytes(path: string): CaseBytes {
  const db = new Database(path);
  try {
    db.pragma("wal_checkpoint(TRUNCATE)");
    const n = (sql: string) => countSchema.parse(db.prepare(sql).get()).n;
    const usedBytes =
      (n("SELECT page_count AS n FROM pragma_page_count") -
        n("SELECT freelist_count AS n FROM pragma_freelist_count")) *
      n("SELECT page_size AS n FROM pragma_page_size");
    const closed = n("SELECT COUNT(*) AS n FROM cases WHERE status = 'closed'");
    // An index's pages count to its table: what a closed case costs is per table, not per b-tree.
    const tables = z.array(tableRowSchema).parse(
      db
        .prepare(
          `SELECT COALESCE(m.tbl_name, d.name) AS name, SUM(d.pgsize) AS bytes, SUM(d.payload) AS payload
           FROM dbstat d LEFT JOIN sqlite_master m ON m.name = d.name
           GROUP BY 1 ORDER BY bytes DESC`,
        )
        .all(),
    );
    const tools = z.array(toolRowSchema).parse(
      db
        .prepare(
          `SELECT tool, COUNT(*) AS n, AVG(${DATA_BYTES}) AS avg, MAX(${DATA_BYTES}) AS max
             FROM evidence GROUP BY tool ORDER BY SUM(${DATA_BYTES}) DESC`,
        )
        .all(),
    );
    return {
      closed,
      fileBytes: statSync(path).size,
      usedBytes,
      tables,
      tools,
      closedRows: closedRowBytes(db),
    };
  } finally {
    db.close();
  }
}

/** Lines of the measurement: the total against the target, then the tables and the evidence by tool. */
export function renderCaseBytes(measured: CaseBytes, alerts: number): string[] {
  const per = (bytes: number) => (bytes / Math.max(1, measured.closed) / KB).toFixed(1);
  const used = measured.usedBytes / Math.max(1, measured.closed) / KB;
  const rowBytes = measured.closedRows.reduce((sum, t) => sum + t.bytes, 0);
  const rowPer = rowBytes / Math.max(1, measured.closed) / KB;
  return [
    `Case memory after ${alerts} lab alerts (${measured.closed} closed, the rest awaiting approval): rows of a closed case ${rowPer.toFixed(1)} kB (target ≤ ${TARGET_KB} kB: ${rowPer <= TARGET_KB ? "met" : "NOT met"}); whole database ${used.toFixed(1)} kB in use, file ${per(measured.fileBytes)} kB, per closed case`,
    renderTable(
      ["rows of closed cases", "kB per closed case"],
      measured.closedRows.map((t) => [t.name, per(t.bytes)]),
    ),
    renderTable(
      ["whole database: table with its indexes", "kB per closed case", "payload kB"],
      measured.tables
        .filter((t) => t.bytes / Math.max(1, measured.closed) >= 10)
        .map((t) => [t.name, per(t.bytes), per(t.payload)]),
    ),
    renderTable(
      ["evidence by tool", "rows", "avg data bytes", "max data bytes"],
      measured.tools.map((t) => [t.tool, String(t.n), t.avg.toFixed(0), String(t.max)]),
    ),
  ];
}

/** Triages `alerts` lab alerts into a fresh database under `scratch` and measures it. */
export async function benchCaseBytes(scratch: string, alerts: number, labDb?: string): Promise<string[]> {
  const db = join(scratch, "case-bytes.db");
  const opened = await openRuntime(loadConfig({ db, labDb: labDb ?? join(scratch, "lab.db") }));
  try {
    await runBatch(opened, { limit: alerts, concurrency: 1, dryRun: true });
  } finally {
    await opened.close();
  }
  return renderCaseBytes(measureCaseBytes(db), alerts);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { alerts: { type: "string", default: "200" } } });
  const alerts = z.coerce.number().int().min(1).max(100_000).safeParse(values.alerts);
  if (!alerts.success) {
    console.error("bench/case-bytes.ts: --alerts 1..100000");
    process.exitCode = 2;
  } else {
    const scratch = mkdtempSync(join(tmpdir(), "soc-triage-bench-case-bytes-"));
    try {
      for (const line of await benchCaseBytes(scratch, alerts.data)) console.log(line);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
}
