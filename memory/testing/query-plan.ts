/**
 * SQLite's plan for a statement, for tests that pin a query to its index: a planner that quietly falls
 * back to a table scan passes every behaviour test on a small database and takes seconds on a large one.
 */
import { z } from "zod";
import type { CaseDatabase } from "../db.ts";
import type { SqlExecutor, SqlValue } from "../sql/driver.ts";

const planRowSchema = z.object({ detail: z.string() });

/** The steps of `sql`'s plan (EXPLAIN QUERY PLAN), one detail line each, in order. */
export function queryPlan(db: CaseDatabase, sql: string, params: readonly SqlValue[]): string[] {
  return db
    .prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .all(...params)
    .map((row) => planRowSchema.parse(row).detail);
}

/** The steps that read a whole table or sort into a temporary b-tree: what an indexed query never needs. */
export function unboundedSteps(plan: readonly string[]): string[] {
  return plan.filter((step) => /^SCAN /.test(step) || step.includes("TEMP B-TREE"));
}

const postgresPlanRowSchema = z.object({ "QUERY PLAN": z.string() });

/** PostgreSQL's plan for `sql` (EXPLAIN, costs off), one line per node, indentation trimmed. */
export async function postgresQueryPlan(
  driver: SqlExecutor,
  sql: string,
  params: readonly SqlValue[],
): Promise<string[]> {
  const rows = await driver.all(`EXPLAIN (COSTS OFF) ${sql}`, params);
  return rows.map((row) => postgresPlanRowSchema.parse(row)["QUERY PLAN"].replace(/^[\s>-]+/, ""));
}
