/**
 * Advanced hunting (POST /api/advancedqueries/run, body `{"Query": …}`, key case-sensitive). MDE answers
 * `Schema`/`Results` in PascalCase where Graph's hunting answers `schema`/`results`, so the keys are read
 * case-insensitively; each row is an object keyed by the projected column names.
 */
import { z } from "zod";
import { ToolError } from "../../../core/errors.ts";
import type { HttpClient } from "../../http.ts";

const resultsSchema = z.array(z.record(z.string(), z.unknown()));

function keyed(body: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(body).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : body[key];
}

/** Runs one hunting query and returns its rows. */
export async function runHunting(
  http: HttpClient,
  query: string,
  signal?: AbortSignal,
): Promise<Array<Record<string, unknown>>> {
  const body = await http.json({
    method: "POST",
    path: "/api/advancedqueries/run",
    json: { Query: query },
    schema: z.record(z.string(), z.unknown()),
    ...(signal ? { signal } : {}),
  });
  const results = resultsSchema.safeParse(keyed(body, "results"));
  if (!results.success)
    throw new ToolError(
      "BAD_RESPONSE",
      `${http.vendor}: unexpected hunting answer at Results: not a list of rows`,
      {
        vendor: http.vendor,
      },
    );
  return results.data;
}

// ---------------------------------------------------------------------------------------------------
// Process identity
// ---------------------------------------------------------------------------------------------------

/**
 * Our process id for an MDE process. MDE has no process GUID in its alerts, but its hunting tables carry
 * ProcessUniqueId (the Windows process start key) and, for the initiating process, InitiatingProcessUniqueId:
 * that is the id when present. Otherwise (older sensors, other platforms) a process on a device is named by
 * its pid and creation time, `<pid>@<creation time, ms>`, which alerts' evidence also carries.
 */
export function processKey(
  uniqueId: string | null | undefined,
  pid: number | null | undefined,
  createdAt: string | null | undefined,
): string | null {
  if (uniqueId && uniqueId !== "0") return uniqueId;
  return pidKey(pid, createdAt);
}

/** `<pid>@<creation time>`; null without both. */
export function pidKey(pid: number | null | undefined, createdAt: string | null | undefined): string | null {
  if (pid === null || pid === undefined || !Number.isSafeInteger(pid) || !createdAt) return null;
  const ms = Date.parse(createdAt);
  return Number.isNaN(ms) ? null : `${pid}@${new Date(ms).toISOString()}`;
}

/** The pid and creation instant of a `<pid>@<time>` id; null for any other id. */
export function parsePidKey(id: string): { pid: number; ms: number } | null {
  const match = /^(\d{1,10})@(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)$/.exec(id);
  if (!match?.[1] || !match[2]) return null;
  const ms = Date.parse(match[2]);
  return Number.isNaN(ms) ? null : { pid: Number(match[1]), ms };
}

const text = z.string().nullish().catch(null);
const count = z
  .union([z.number(), z.string().regex(/^\d+$/).transform(Number)])
  .nullish()
  .catch(null);

/** A cell read leniently: hunting values arrive as JSON numbers or numeric strings depending on the type. */
export const cell = { text, count };
