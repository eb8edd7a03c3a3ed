/**
 * AlertSource over Splunk ES notables. ES has no GET API for notables, so both calls are searches over
 * the configured notable source (`index=notable` or the `notable` macro): one notable by event_id over all
 * time, or the notables after a watermark, oldest first, at most `limit`.
 */
import { ToolError } from "../../../core/errors.ts";
import type { AlertSource } from "../../../core/ports.ts";
import { VENDOR } from "./client.ts";
import type { SplunkConfig } from "./config.ts";
import { toAlert } from "./notable.ts";
import type { SearchRunner } from "./search.ts";
import { notableById, notablesSince } from "./spl.ts";

const DEFAULT_LIMIT = 1000;

export function splunkAlerts(runner: SearchRunner, config: SplunkConfig): AlertSource {
  return {
    name: VENDOR,
    async getAlert(id, options) {
      const rows = await runner.run(notableById(config.alerts.search, id), 1, options?.signal);
      const row = rows[0];
      if (!row)
        throw new ToolError("NOT_FOUND", `${VENDOR}: no notable event ${id}`, {
          vendor: VENDOR,
          status: 404,
        });
      return toAlert(row);
    },
    async listAlerts(query, options) {
      const limit = Math.min(query.limit ?? DEFAULT_LIMIT, 10_000);
      if (limit < 1) return [];
      const rows = await runner.run(
        notablesSince(config.alerts.search, query.since, limit),
        limit,
        options?.signal,
      );
      // Strictly-after is the SPL's `where _time>` (sub-millisecond exact); a notable without an event_id
      // cannot be fetched again, so it is not listed.
      return rows
        .filter((row) => row.event_id !== undefined && row.event_id !== "")
        .map(toAlert)
        .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt))
        .map(({ id, family, type, title, severity, createdAt }) => ({
          id,
          family,
          type,
          title,
          severity,
          createdAt,
        }));
    },
  };
}
