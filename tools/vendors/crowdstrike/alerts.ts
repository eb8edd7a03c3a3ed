/**
 * Falcon alerts as an AlertSource: ids from GET /alerts/queries/alerts/v2 (an FQL filter on
 * created_timestamp, sorted oldest first, offset paging), documents from POST /alerts/entities/alerts/v2.
 */
import { ToolError } from "../../../core/errors.ts";
import { orNull, type HttpClient } from "../../http.ts";
import type { AlertSource, CallOptions } from "../../../core/ports.ts";
import { falconAlertSchema, toAlert, toAlertSummary, type FalconAlert } from "./alert-map.ts";
import { envelope, needing, queryIds, VENDOR } from "./client.ts";
import { fqlAll, fqlTime } from "./fql.ts";

const DEFAULT_LIMIT = 1000;
/** Offset paging of the alerts query stops at 10,000 results. */
const MAX_LIMIT = 10_000;
/** The entities endpoint takes at most this many ids per request. */
const ENTITY_BATCH = 100;

const signalOf = (options?: CallOptions) => (options?.signal ? { signal: options.signal } : {});

/** Alert documents by composite id, in the order asked; ids Falcon does not know are left out. */
export async function alertsByIds(
  http: HttpClient,
  ids: readonly string[],
  options?: CallOptions,
): Promise<FalconAlert[]> {
  const found = new Map<string, FalconAlert>();
  for (let i = 0; i < ids.length; i += ENTITY_BATCH) {
    const page = await needing(
      "Alerts:read",
      // Falcon answers a batch of unknown ids with 404 and an empty resource list.
      orNull(
        http.json({
          method: "POST",
          path: "/alerts/entities/alerts/v2",
          json: { composite_ids: ids.slice(i, i + ENTITY_BATCH) },
          schema: envelope(falconAlertSchema),
          ...signalOf(options),
        }),
      ),
    );
    for (const doc of page?.resources ?? []) found.set(doc.composite_id, doc);
  }
  return ids.flatMap((id) => found.get(id) ?? []);
}

/** Alert ids matching an FQL filter, oldest first by `sortField`, to the limit. */
export function queryAlertIds(
  http: HttpClient,
  filter: string,
  sortField: "created_timestamp" | "timestamp",
  limit: number,
  options?: CallOptions,
): Promise<string[]> {
  return needing(
    "Alerts:read",
    queryIds(
      http,
      {
        path: "/alerts/queries/alerts/v2",
        query: { filter: filter || undefined, sort: `${sortField}|asc` },
        ...signalOf(options),
      },
      limit,
    ),
  );
}

export function createFalconAlertSource(
  http: HttpClient,
  options: { extraFilter?: string | undefined },
): AlertSource {
  return {
    name: VENDOR,
    async getAlert(id, call) {
      const [doc] = await alertsByIds(http, [id], call);
      if (!doc) throw new ToolError("NOT_FOUND", `${VENDOR}: no alert ${id}`, { vendor: VENDOR });
      return toAlert(doc);
    },
    async listAlerts(query, call) {
      const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(query.limit ?? DEFAULT_LIMIT)));
      const filter = fqlAll(
        query.since ? fqlTime("created_timestamp", ">", query.since) : "",
        options.extraFilter ? `(${options.extraFilter})` : "",
      );
      const ids = await queryAlertIds(http, filter, "created_timestamp", limit, call);
      const summaries = (await alertsByIds(http, ids, call)).map(toAlertSummary);
      // Strictly after `since` at our millisecond precision: Falcon keeps nanoseconds, so an alert in the
      // watermark's own millisecond passes its filter but is not "after" the watermark we handed out.
      const after = query.since ? Date.parse(query.since) : -Infinity;
      return summaries
        .filter((a) => Date.parse(a.createdAt) > after)
        .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id.localeCompare(b.id));
    },
  };
}
