/**
 * SiemSearch over Splunk: the query becomes SPL (spl.ts) over the dataset's indexes and CIM tags, runs as
 * a search job or an export (search.ts), and each result row comes back under ECS names: mapped fields
 * renamed, numbers where the ECS field is numeric, Splunk's bookkeeping fields dropped.
 */
import { createHash } from "node:crypto";
import { ToolError } from "../../../core/errors.ts";
import type { SiemDataset, SiemEvent } from "../../../core/domain.ts";
import type { SiemSearch } from "../../../core/ports.ts";
import { VENDOR } from "./client.ts";
import { DEFAULT_NUMERIC_FIELDS, resolveDataset, type SplunkConfig } from "./config.ts";
import type { Row, SearchRunner } from "./search.ts";
import { siemSearch } from "./spl.ts";

/** Fields every event carries that say nothing about it: time parts, indexing bookkeeping, tags. */
const BOOKKEEPING =
  /^(_.*|date_[a-z]+|punct|linecount|splunk_server(_group)?|timestartpos|timeendpos|eventtype|tag|tag::.*)$/;
const NUMBER = /^-?\d+(\.\d+)?$/;

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** `_time` as Splunk's JSON gives it (ISO with offset) or as epoch seconds. */
export function timeOf(row: Row): string {
  const raw = first(row._time) ?? "";
  const ms = NUMBER.test(raw) ? Number(raw) * 1000 : Date.parse(raw);
  if (Number.isNaN(ms)) throw new ToolError("BAD_RESPONSE", `${VENDOR}: a result has no readable _time`);
  return new Date(ms).toISOString();
}

/** The event's own id if it has one, else Splunk's address of it (bucket and offset), else a digest. */
function idOf(row: Row, idFields: readonly string[]): string {
  for (const name of idFields) {
    const value = first(row[name]);
    if (value) return value;
  }
  const bucket = first(row._bkt);
  const offset = first(row._cd);
  if (bucket && offset) return `${bucket}:${offset}`;
  const digest = createHash("sha256");
  digest.update(`${first(row._time) ?? ""}\n${first(row.index) ?? ""}\n${first(row._raw) ?? ""}`);
  return digest.digest("hex").slice(0, 24);
}

export function splunkSiem(runner: SearchRunner, config: SplunkConfig): SiemSearch {
  const numeric = new Set([...DEFAULT_NUMERIC_FIELDS, ...config.siem.numericFields]);

  function toEvent(row: Row, dataset: SiemDataset, mapping: Readonly<Record<string, string>>): SiemEvent {
    const ecsNames = new Map<string, string[]>();
    for (const [ecs, splunk] of Object.entries(mapping))
      ecsNames.set(splunk, [...(ecsNames.get(splunk) ?? []), ecs]);
    const fields: SiemEvent["fields"] = {};
    for (const [name, value] of Object.entries(row)) {
      if (BOOKKEEPING.test(name)) continue;
      const text = Array.isArray(value) ? value.join(", ") : value;
      for (const ecs of ecsNames.get(name) ?? [name])
        fields[ecs] = numeric.has(ecs) && NUMBER.test(text) ? Number(text) : text;
    }
    return { id: idOf(row, config.siem.idFields), timestamp: timeOf(row), dataset, fields };
  }

  return {
    vendor: VENDOR,
    async searchEvents(query, options) {
      const dataset = resolveDataset(config, query.dataset);
      const spl = siemSearch(query, dataset);
      if (!spl) return [];
      const rows = await runner.run(spl, query.limit, options?.signal);
      const events = rows.map((row) => toEvent(row, query.dataset, dataset.fields));
      // The SPL sorts already; a stable sort here keeps the port's promise whatever a custom filter does.
      return events.sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
    },
  };
}
