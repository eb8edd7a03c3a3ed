/**
 * The Log Analytics query API: POST /v1/workspaces/{id}/query with {query, timespan}, answered with
 * `tables[].columns/rows`. A query that fails part-way still answers 200, with the rows it got and a
 * top-level `error`; we refuse such an answer (BAD_RESPONSE) rather than pass on a silently partial result,
 * since a triage reading "no sign-ins from that country" must be able to trust that it saw them all.
 */
import { z } from "zod";
import { ToolError } from "../../../core/errors.ts";
import type { HttpClient } from "../../http.ts";

const responseSchema = z.object({
  tables: z.array(
    z.object({
      name: z.string().nullish(),
      columns: z.array(z.object({ name: z.string(), type: z.string().nullish() })),
      rows: z.array(z.array(z.unknown())),
    }),
  ),
  error: z
    .object({
      code: z.string().nullish(),
      message: z.string().nullish(),
      details: z.array(z.object({ message: z.string().nullish() })).nullish(),
    })
    .nullish(),
});

export interface QueryResult {
  columns: Array<{ name: string; type: string }>;
  /** Each row as column name → value. */
  rows: Array<Record<string, unknown>>;
}

/** Runs one KQL query over a workspace and returns its primary table. */
export async function runLogAnalyticsQuery(
  http: HttpClient,
  request: { workspaceId: string; query: string; timespan?: string; signal?: AbortSignal },
): Promise<QueryResult> {
  const body = await http.json({
    method: "POST",
    path: `/v1/workspaces/${encodeURIComponent(request.workspaceId)}/query`,
    json: { query: request.query, ...(request.timespan ? { timespan: request.timespan } : {}) },
    schema: responseSchema,
    ...(request.signal ? { signal: request.signal } : {}),
  });
  if (body.error) {
    const { code, message, details } = body.error;
    const why = [code, message, details?.[0]?.message].filter(Boolean).join(": ");
    throw new ToolError("BAD_RESPONSE", `${http.vendor}: query answered with a partial result: ${why}`, {
      vendor: http.vendor,
    });
  }
  const table = body.tables[0];
  if (!table) return { columns: [], rows: [] };
  const columns = table.columns.map((c) => ({ name: c.name, type: (c.type ?? "string").toLowerCase() }));
  const rows = table.rows.map((row) => {
    const record: Record<string, unknown> = {};
    columns.forEach((column, i) => {
      record[column.name] = row[i] ?? null;
    });
    return record;
  });
  return { columns, rows };
}
