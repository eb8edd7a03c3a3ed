/**
 * Where a scheduled batch resumes, per alert source: every alert created at or before the watermark has
 * been handled, so the next run lists only what came after it.
 */
import { z } from "zod";
import type { CaseDatabase } from "./db.ts";

const watermarkRow = z.object({ watermark: z.string() });

/** Stored watermarks are UTC `toISOString()` text, so SQL compares them in time order. */
function normalized(time: string): string {
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO time: ${time}`);
  return new Date(ms).toISOString();
}

export class BatchWatermarks {
  private readonly db: CaseDatabase;
  private readonly now: () => Date;

  constructor(db: CaseDatabase, options: { now: () => Date }) {
    this.db = db;
    this.now = options.now;
  }

  get(source: string): string | null {
    const row = this.db.prepare("SELECT watermark FROM batch_watermarks WHERE alert_source = ?").get(source);
    return row === undefined ? null : watermarkRow.parse(row).watermark;
  }

  /**
   * Moves the watermark forward to `to`, never back: two schedulers sharing a source each advance it over
   * what they saw handled, and the later time wins whatever order they write in. Returns the stored value.
   */
  advance(source: string, to: string): string {
    this.db
      .prepare(
        `INSERT INTO batch_watermarks (alert_source, watermark, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (alert_source) DO UPDATE SET watermark = excluded.watermark, updated_at = excluded.updated_at
         WHERE excluded.watermark > batch_watermarks.watermark`,
      )
      .run(source, normalized(to), this.now().toISOString());
    return this.get(source) ?? normalized(to);
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
