/**
 * Where a scheduled batch resumes, per alert source: every alert created at or before the watermark has
 * been handled, so the next run lists only what came after it.
 */
import { z } from "zod";
import type { SqlExecutor } from "./sql/driver.ts";

const watermarkRow = z.object({ watermark: z.string() });

/** Stored watermarks are UTC `toISOString()` text, so SQL compares them in time order. */
function normalized(time: string): string {
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO time: ${time}`);
  return new Date(ms).toISOString();
}

export class BatchWatermarks {
  private readonly sql: SqlExecutor;
  private readonly now: () => Date;

  constructor(sql: SqlExecutor, options: { now: () => Date }) {
    this.sql = sql;
    this.now = options.now;
  }

  async get(source: string): Promise<string | null> {
    const row = await this.sql.get("SELECT watermark FROM batch_watermarks WHERE alert_source = ?", [source]);
    return row === undefined ? null : watermarkRow.parse(row).watermark;
  }

  /**
   * Moves the watermark forward to `to`, never back: two schedulers sharing a source each advance it over
   * what they saw handled, and the later time wins whatever order they write in. Returns the stored value.
   */
  async advance(source: string, to: string): Promise<string> {
    const target = normalized(to);
    // One statement on both engines: the upsert's WHERE keeps the later time atomically, so the read after
    // it needs no transaction (it may only see a time later still, from another scheduler).
    await this.sql.run(
      `INSERT INTO batch_watermarks (alert_source, watermark, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (alert_source) DO UPDATE SET watermark = excluded.watermark, updated_at = excluded.updated_at
       WHERE excluded.watermark > batch_watermarks.watermark`,
      [source, target, this.now().toISOString()],
    );
    return (await this.get(source)) ?? target;
  }
}

/**
 * The furthest the watermark may move after a run over `listed` (oldest first, as the source returned
 * it). It covers only the prefix of alerts that `handled` says are finished, and stops short of any time
 * an unhandled alert shares: the source lists strictly after the watermark, so a watermark equal to an
 * unhandled alert's time would hide it for good. When the list was cut by its limit (`complete` false),
 * unlisted alerts may share the last listed time, so that time is not covered either. Returns `current`
 * when nothing can be covered; never returns a time before `current`.
 */
export function nextWatermark(
  listed: ReadonlyArray<{ createdAt: string }>,
  handled: (index: number) => boolean,
  options: { current: string | null; complete: boolean },
): string | null {
  let prefix = 0;
  while (prefix < listed.length && handled(prefix)) prefix++;
  const firstOpen = listed[prefix] ?? (options.complete ? undefined : listed[listed.length - 1]);
  const boundary = firstOpen === undefined ? null : normalized(firstOpen.createdAt);
  let best = options.current === null ? null : normalized(options.current);
  for (let i = 0; i < prefix; i++) {
    const alert = listed[i];
    if (alert === undefined) continue;
    const time = normalized(alert.createdAt);
    if (boundary !== null && time >= boundary) break;
    if (best === null || time > best) best = time;
  }
  return best;
}
