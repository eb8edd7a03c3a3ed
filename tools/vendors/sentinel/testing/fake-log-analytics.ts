/**
 * The Log Analytics query endpoint of the Sentinel fake: a token for the Log Analytics scope, the
 * workspace id, `{query, timespan}` (the timespan narrowing rows by TimeGenerated, end exclusive), KQL run
 * for real, answers as `tables[0].columns/rows` with dynamic values as JSON text and .NET-style times,
 * errors as OneAPI error objects, and on demand a 200 carrying a partial-result error.
 */
import { jsonOf, type FakeRoute } from "../../../testing/fake-http.ts";
import type { FakeEntra } from "../../microsoft/testing/fake-entra.ts";
import {
  KqlDate,
  KqlSemanticError,
  runKql,
  type KqlTable,
  type KqlValue,
} from "../../microsoft/testing/kql-engine.ts";
import { KqlSyntaxError } from "../../microsoft/testing/kql-lexer.ts";
import { ticks } from "./seed.ts";

export const LOG_ANALYTICS_SCOPE = "https://api.loganalytics.io/.default";
export const WORKSPACE_ID = "22222222-2222-4222-8222-222222222222";

interface QueryState {
  forbid: { query: boolean };
  partialError: boolean;
  queries: Array<{ query: string; timespan: string | undefined }>;
}

function cell(value: KqlValue): unknown {
  if (value instanceof KqlDate) return ticks(new Date(value.ms).toISOString());
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  return value;
}

function withinTimespan(
  tables: Record<string, KqlTable>,
  timespan: string | undefined,
): Record<string, KqlTable> | null {
  if (timespan === undefined) return tables;
  const [start, end] = timespan.split("/").map((t) => Date.parse(t));
  if (start === undefined || end === undefined || Number.isNaN(start) || Number.isNaN(end)) return null;
  const out: Record<string, KqlTable> = {};
  for (const [name, table] of Object.entries(tables)) {
    const rows = table.rows.filter((row) => {
      const t = typeof row["TimeGenerated"] === "string" ? Date.parse(row["TimeGenerated"]) : Number.NaN;
      return t >= start && t < end;
    });
    out[name] = { columns: table.columns, rows };
  }
  return out;
}

export function logAnalyticsRoute(options: {
  entra: FakeEntra;
  tables: Record<string, KqlTable>;
  state: () => QueryState;
}): FakeRoute {
  const { entra, tables, state } = options;
  return {
    method: "POST",
    path: "/v1/workspaces/:workspaceId/query",
    handler: (request) => {
      const laError = (
        status: number,
        code: string,
        message: string,
        inner?: { code: string; message: string },
      ) => ({
        status,
        body: {
          error: {
            message,
            code,
            correlationId: "fake-correlation",
            ...(inner ? { innererror: inner } : {}),
          },
        },
      });
      const scope = entra.scopeOf(request);
      if (scope !== LOG_ANALYTICS_SCOPE)
        return laError(
          401,
          "InvalidTokenError",
          "The provided authentication is not valid for this resource",
        );
      if (request.params.workspaceId !== WORKSPACE_ID)
        return laError(404, "WorkspaceNotFoundError", "The workspace could not be found");
      if (state().forbid.query)
        return laError(
          403,
          "InsufficientAccessError",
          "The provided credentials have insufficient access to perform the requested operation",
        );
      const body = jsonOf(request);
      const query = typeof body === "object" && body !== null && "query" in body ? body.query : undefined;
      const timespan =
        typeof body === "object" && body !== null && "timespan" in body ? body.timespan : undefined;
      if (typeof query !== "string" || (timespan !== undefined && typeof timespan !== "string"))
        return laError(400, "BadArgumentError", "The request had some invalid properties");
      state().queries.push({ query, timespan });
      const scoped = withinTimespan(tables, timespan);
      if (!scoped) return laError(400, "BadArgumentError", "Invalid timespan");
      try {
        const result = runKql(query, scoped);
        return {
          body: {
            tables: [
              {
                name: "PrimaryResult",
                columns: result.columns,
                rows: result.rows.map((row) => result.columns.map((c) => cell(row[c.name] ?? null))),
              },
            ],
            ...(state().partialError
              ? {
                  error: {
                    code: "PartialError",
                    message: "There were some errors when processing your query.",
                    details: [{ message: "Query exceeded memory limit" }],
                  },
                }
              : {}),
          },
        };
      } catch (e) {
        if (e instanceof KqlSyntaxError || e instanceof KqlSemanticError)
          return laError(400, "BadArgumentError", "The request had some invalid properties", {
            code: e instanceof KqlSyntaxError ? "SyntaxError" : "SemanticError",
            message: e.message,
          });
        throw e;
      }
    },
  };
}
