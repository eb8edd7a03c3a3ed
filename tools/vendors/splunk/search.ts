/**
 * Running SPL: a search job (exec_mode=normal → sid → status polled until DONE or FAILED → results paged
 * with count/offset), the streaming export endpoint (NDJSON rows; preview rows skipped, `lastrow` on the
 * last row or alone), or a oneshot for probes. Rows come back as Splunk sends them: every value a string,
 * multivalue fields arrays of strings.
 */
import { z } from "zod";
import { ToolError } from "../../../core/errors.ts";
import type { HttpClient } from "../../http.ts";
import { pollUntil } from "../poll.ts";
import type { VendorContext } from "../types.ts";
import { servicesPath, VENDOR } from "./client.ts";
import type { SplunkConfig } from "./config.ts";
import type { SplSearch } from "./spl.ts";

export type Row = Record<string, string | string[]>;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const rowSchema = z.record(z.string(), z.union([scalar, z.array(scalar)])).transform((raw) => {
  const row: Row = {};
  for (const [key, value] of Object.entries(raw)) {
    if (Array.isArray(value)) row[key] = value.filter((v) => v !== null).map(String);
    else if (value !== null) row[key] = String(value);
  }
  return row;
});

const messageListSchema = z
  .array(z.object({ type: z.string().nullish(), text: z.string().nullish() }))
  .nullish()
  .catch(null);

// While a job still runs, /results may answer 204 with no body (parsed as null).
const resultsSchema = z.object({ results: z.array(rowSchema) }).nullable();

const flag = z.union([z.boolean(), z.number(), z.string()]).nullish();
const truthy = (value: z.infer<typeof flag>) => value === true || value === 1 || value === "1";

const statusSchema = z.object({
  entry: z
    .array(
      z.object({
        content: z.object({
          dispatchState: z.string().nullish(),
          isDone: flag,
          isFailed: flag,
          resultCount: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).nullish(),
          messages: messageListSchema,
        }),
      }),
    )
    .min(1),
});

const exportLineSchema = z.object({
  preview: z.boolean().nullish(),
  lastrow: z.boolean().nullish(),
  result: rowSchema.nullish(),
  messages: messageListSchema,
});

function problems(messages: z.infer<typeof messageListSchema>): string {
  return (messages ?? [])
    .filter((m) => /^(FATAL|ERROR)$/i.test(m.type ?? ""))
    .map((m) => m.text ?? "")
    .filter(Boolean)
    .join("; ");
}

/** The sid of a created job, from JSON (`{"sid"}`) or the XML form. */
function sidOf(body: string): string {
  let sid: string | undefined;
  try {
    const parsed = z.object({ sid: z.string().min(1) }).safeParse(JSON.parse(body));
    sid = parsed.success ? parsed.data.sid : undefined;
  } catch {
    sid = /<sid>\s*([^<\s]+)\s*<\/sid>/.exec(body)?.[1];
  }
  if (!sid) throw new ToolError("BAD_RESPONSE", `${VENDOR}: search job created without a sid`);
  return sid;
}

export interface SearchRunner {
  /** At most `limit` rows of the search, in the order the SPL gives them. */
  run(spl: SplSearch, limit: number, signal?: AbortSignal): Promise<Row[]>;
  /** A small search answered inline (probes). */
  oneshot(spl: SplSearch, count: number, signal?: AbortSignal): Promise<Row[]>;
}

export function searchRunner(http: HttpClient, config: SplunkConfig, context: VendorContext): SearchRunner {
  const jobs = `${servicesPath(config)}/search/jobs`;
  const withSignal = (signal?: AbortSignal) => (signal ? { signal } : {});
  const timeRange = (spl: SplSearch) => ({
    search: spl.search,
    earliest_time: spl.earliest,
    ...(spl.latest === undefined ? {} : { latest_time: spl.latest }),
  });

  async function awaitJob(sid: string, signal?: AbortSignal) {
    const status = async () => {
      const body = await http.json({
        path: `${jobs}/${encodeURIComponent(sid)}`,
        query: { output_mode: "json" },
        schema: statusSchema,
        ...withSignal(signal),
      });
      const content = body.entry[0]?.content;
      if (!content) return undefined;
      if (truthy(content.isFailed) || content.dispatchState === "FAILED") {
        const why = problems(content.messages) || "no reason given";
        throw new ToolError("UPSTREAM_ERROR", `${VENDOR}: search job ${sid} failed: ${why}`, {
          vendor: VENDOR,
        });
      }
      return truthy(content.isDone) || content.dispatchState === "DONE" ? content : undefined;
    };
    try {
      return await pollUntil(status, {
        vendor: VENDOR,
        what: `search job ${sid}`,
        timeoutMs: config.jobTimeoutMs,
        ...(context.http?.sleep ? { sleep: context.http.sleep } : {}),
        ...withSignal(signal),
      });
    } catch (error) {
      // A job left running holds one of the user's concurrent-search slots until it ends.
      if (error instanceof ToolError && error.code === "TIMEOUT") await cancel(sid);
      throw error;
    }
  }

  async function cancel(sid: string): Promise<void> {
    await http
      .request({
        method: "POST",
        path: `${jobs}/${encodeURIComponent(sid)}/control`,
        form: { action: "cancel", output_mode: "json" },
        as: "text",
        schema: z.string(),
        retry: false,
      })
      .catch(() => undefined);
  }

  async function runJob(spl: SplSearch, limit: number, signal?: AbortSignal): Promise<Row[]> {
    const created = await http.json({
      method: "POST",
      path: jobs,
      form: { ...timeRange(spl), exec_mode: "normal", output_mode: "json" },
      as: "text",
      schema: z.string(),
      ...withSignal(signal),
    });
    const sid = sidOf(created);
    try {
      return await readJob(sid, limit, signal);
    } catch (error) {
      // Our own sid answering 404 means the job expired or was deleted under us: not "no such thing".
      if (error instanceof ToolError && error.code === "NOT_FOUND")
        throw new ToolError("UPSTREAM_ERROR", `${VENDOR}: search job ${sid} vanished (expired or deleted)`, {
          vendor: VENDOR,
        });
      throw error;
    }
  }

  async function readJob(sid: string, limit: number, signal?: AbortSignal): Promise<Row[]> {
    const done = await awaitJob(sid, signal);
    const total = Math.min(limit, done.resultCount ?? limit);
    const rows: Row[] = [];
    while (rows.length < total) {
      const page = await http.json({
        path: `${jobs}/${encodeURIComponent(sid)}/results`,
        query: {
          output_mode: "json",
          count: Math.min(config.pageSize, total - rows.length),
          offset: rows.length,
        },
        schema: resultsSchema,
        ...withSignal(signal),
      });
      if (!page || page.results.length === 0) break;
      rows.push(...page.results);
    }
    return rows.slice(0, limit);
  }

  async function runExport(spl: SplSearch, limit: number, signal?: AbortSignal): Promise<Row[]> {
    const lines = await http.json({
      method: "POST",
      path: `${jobs}/export`,
      form: { ...timeRange(spl), output_mode: "json" },
      as: "ndjson",
      schema: z.array(exportLineSchema),
      ...withSignal(signal),
    });
    const rows = lines.flatMap((line) => (line.result && line.preview !== true ? [line.result] : []));
    const fatal = lines.map((line) => problems(line.messages)).find(Boolean);
    if (rows.length === 0 && fatal)
      throw new ToolError("BAD_INPUT", `${VENDOR}: search failed: ${fatal}`, { vendor: VENDOR });
    return rows.slice(0, limit);
  }

  return {
    run: (spl, limit, signal) =>
      config.mode === "export" ? runExport(spl, limit, signal) : runJob(spl, limit, signal),
    async oneshot(spl, count, signal) {
      const body = await http.json({
        method: "POST",
        path: jobs,
        form: { ...timeRange(spl), exec_mode: "oneshot", count: String(count), output_mode: "json" },
        schema: resultsSchema,
        ...withSignal(signal),
      });
      return body?.results ?? [];
    },
  };
}
