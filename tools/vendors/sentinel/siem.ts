/**
 * SiemSearch over Log Analytics: a SiemQuery becomes one KQL query over the dataset's table that projects
 * the mapped columns under their ECS names, filters on those names, sorts oldest first and takes the limit.
 */
import { createHash } from "node:crypto";
import { ToolError } from "../../../core/errors.ts";
import type { HttpClient } from "../../http.ts";
import type { SiemEvent, SiemQuery } from "../../../core/domain.ts";
import type { SiemSearch } from "../../../core/ports.ts";
import { kqlCondition, kqlDatetime, kqlName } from "../microsoft/kql.ts";
import { runLogAnalyticsQuery } from "./log-analytics.ts";
import { resolveTable, type DatasetsConfig } from "./siem-tables.ts";
import { queryInstant as instant } from "../time.ts";

const TIME = "@timestamp";
const ID = "@id";

/**
 * The KQL of a query, and the `timespan` that narrows the scan; null when a filter can never match (a
 * field the table does not map), so no query is spent. Both bounds are inclusive at millisecond
 * precision, the precision of our timestamps: `to` keeps whatever happened within its millisecond.
 */
export function buildSiemKql(
  query: SiemQuery,
  datasets: DatasetsConfig,
  vendor: string,
): { kql: string; timespan: string } | null {
  const from = instant(query.from, "from", vendor);
  const toEnd = instant(query.to, "to", vendor) + 1;
  const table = resolveTable(query.dataset, datasets);
  const conditions: string[] = [];
  for (const filter of query.where) {
    const column = table.fields[filter.field] === undefined ? undefined : kqlName(filter.field);
    const condition = kqlCondition(column, filter, vendor);
    if (condition === false) return null;
    if (condition !== true) conditions.push(condition);
  }
  const projected = [
    `${kqlName(TIME)} = ${table.timeColumn}`,
    `${kqlName(ID)} = tostring(${table.idColumn})`,
    ...Object.entries(table.fields).map(([field, expression]) => `${kqlName(field)} = ${expression}`),
  ];
  const lines = [
    table.table,
    `| where ${table.timeColumn} >= ${kqlDatetime(from)} and ${table.timeColumn} < ${kqlDatetime(toEnd)}`,
    `| project ${projected.join(", ")}`,
    ...(conditions.length ? [`| where ${conditions.join(" and ")}`] : []),
    `| sort by ${kqlName(TIME)} asc, ${kqlName(ID)} asc`,
    `| take ${query.limit}`,
  ];
  // The timespan only narrows what the service scans (a second wider each side, whatever its end
  // semantics); the query's own bounds decide.
  const timespan = `${new Date(from - 1000).toISOString()}/${new Date(toEnd + 1000).toISOString()}`;
  return { kql: lines.join("\n"), timespan };
}

/** A cell as a flat field value: dynamic values as JSON text, empty strings as absent. */
function fieldValue(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  return JSON.stringify(value);
}

function toEvent(row: Record<string, unknown>, dataset: SiemEvent["dataset"], vendor: string): SiemEvent {
  const time = row[TIME];
  const ms = typeof time === "string" ? Date.parse(time) : Number.NaN;
  if (Number.isNaN(ms))
    throw new ToolError("BAD_RESPONSE", `${vendor}: unexpected answer at ${TIME}: not a timestamp`, {
      vendor,
    });
  const fields: SiemEvent["fields"] = {};
  for (const [name, value] of Object.entries(row)) {
    if (name === TIME || name === ID) continue;
    const v = fieldValue(value);
    if (v !== null) fields[name] = v;
  }
  const rawId = fieldValue(row[ID]);
  // A table without a usable id column still gets an id that is the same for the same row every time.
  const id =
    rawId === null
      ? `${dataset}-${createHash("sha256")
          .update(JSON.stringify([ms, fields]))
          .digest("hex")
          .slice(0, 16)}`
      : String(rawId);
  return { id, timestamp: new Date(ms).toISOString(), dataset, fields };
}

export function createSentinelSiem(options: {
  vendor: string;
  http: () => HttpClient;
  workspaceId: () => string;
  datasets: DatasetsConfig;
}): SiemSearch {
  const { vendor } = options;
  return {
    vendor,
    async searchEvents(query, call) {
      const built = buildSiemKql(query, options.datasets, vendor);
      if (!built) return [];
      const result = await runLogAnalyticsQuery(options.http(), {
        workspaceId: options.workspaceId(),
        query: built.kql,
        timespan: built.timespan,
        ...(call?.signal ? { signal: call.signal } : {}),
      });
      const events = result.rows.map((row) => toEvent(row, query.dataset, vendor));
      // Stable: ties within a millisecond keep the service's order (its sub-millisecond time, then id).
      events.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
      return events.slice(0, query.limit);
    },
  };
}
