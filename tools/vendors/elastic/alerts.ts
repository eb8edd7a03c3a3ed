/**
 * AlertSource over Elastic Security detection alerts: `POST /api/detection_engine/signals/search` in the
 * configured Kibana space, with a query DSL body.
 *
 * That endpoint takes query, size, sort, _source and aggregations but not `from` or `search_after`, so a
 * list longer than one page pages by keyset: sorted by @timestamp then kibana.alert.uuid, each next page asks
 * for what sorts after the last alert seen. Building-block alerts (kibana.alert.building_block_type) are
 * left out of lists, as the Alerts page leaves them out; getAlert fetches any alert by id. A 404 (the
 * space's alerts index not created yet) lists no alerts; `triage doctor` reports a wrong space.
 */
import { ToolError } from "../../../core/errors.ts";
import { orNull, type HttpClient } from "../../http.ts";
import type { AlertSource, CallOptions } from "../../../core/ports.ts";
import type { AlertSummary } from "../../../core/domain.ts";
import { VENDOR, type ElasticConfig } from "./config.ts";
import { alertOfHit } from "./alert-document.ts";
import { utcInstant, type Dsl } from "./dsl.ts";
import { flattenDocument, firstString, isoInstant } from "./flatten.ts";
import { searchResponseSchema, type Hit } from "./siem.ts";

export const SIGNALS_SEARCH = "/api/detection_engine/signals/search";
const DEFAULT_LIMIT = 1000;
const UUID = "kibana.alert.uuid";

const NOT_BUILDING_BLOCK: Dsl = {
  bool: { must_not: [{ exists: { field: "kibana.alert.building_block_type" } }] },
};

/** Sorts after (timestamp, uuid): a later timestamp, or the same one and a greater uuid. */
function after(timestamp: string, uuid: string): Dsl {
  return {
    bool: {
      should: [
        { range: { "@timestamp": { gt: timestamp } } },
        { bool: { filter: [{ term: { "@timestamp": timestamp } }, { range: { [UUID]: { gt: uuid } } }] } },
      ],
      minimum_should_match: 1,
    },
  };
}

export function createElasticAlerts(http: HttpClient, config: ElasticConfig): AlertSource {
  const search = (body: Record<string, unknown>, options?: CallOptions) =>
    http.json({
      method: "POST",
      path: SIGNALS_SEARCH,
      json: body,
      schema: searchResponseSchema,
      ...(options?.signal ? { signal: options.signal } : {}),
    });

  return {
    name: VENDOR,

    async getAlert(id, options) {
      const page = await search(
        {
          query: {
            bool: { should: [{ ids: { values: [id] } }, { term: { [UUID]: id } }], minimum_should_match: 1 },
          },
          size: 1,
        },
        options,
      );
      const hit = page.hits.hits[0];
      if (!hit) throw new ToolError("NOT_FOUND", `${VENDOR}: no detection alert ${id}`, { vendor: VENDOR });
      return alertOfHit(hit);
    },

    async listAlerts(query, options) {
      const limit = query.limit ?? DEFAULT_LIMIT;
      const since =
        query.since === undefined
          ? []
          : [{ range: { "@timestamp": { gt: utcInstant(query.since, "since") } } }];
      const summaries: AlertSummary[] = [];
      let cursor: Dsl[] = [];
      while (summaries.length < limit) {
        const size = Math.min(config.alertPageSize, limit - summaries.length);
        const page = await orNull(
          search(
            {
              query: { bool: { filter: [...since, NOT_BUILDING_BLOCK, ...cursor] } },
              sort: [{ "@timestamp": { order: "asc" } }, { [UUID]: { order: "asc" } }],
              size,
            },
            options,
          ),
        );
        // A space whose alerts index does not exist yet (no rule has run) answers 404: no alerts.
        if (!page) break;
        const hits: Hit[] = page.hits.hits;
        summaries.push(
          ...hits.map((hit): AlertSummary => {
            const { id, family, type, title, severity, createdAt } = alertOfHit(hit);
            return { id, family, type, title, severity, createdAt };
          }),
        );
        const last = hits.at(-1);
        if (hits.length < size || !last) break;
        const flat = flattenDocument(last._source ?? {});
        const timestamp = isoInstant(flat.get("@timestamp")?.[0]);
        if (!timestamp) break;
        cursor = [after(timestamp, firstString(flat, UUID) ?? last._id)];
      }
      return summaries.slice(0, limit);
    },
  };
}
