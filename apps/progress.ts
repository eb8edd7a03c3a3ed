/**
 * Batch progress for people: a bar redrawn in place on a terminal, a quiet line every few alerts when
 * stderr is a file or a pipe (logs, CI). Formatting is pure; the reporter only decides when to write.
 */
import type { BatchProgress } from "./batch.ts";

const CLEAR_TO_END = "\u001b[K";

/** Alerts per second over the elapsed time; 0 before any time has passed. */
export function rate(progress: BatchProgress): number {
  return progress.elapsedMs > 0 ? progress.done / (progress.elapsedMs / 1000) : 0;
}

/** `[#####-----]  52/209  25%  41.3 alerts/s  1 failed`, cut to `columns` so it never wraps. */
export function formatBar(progress: BatchProgress, columns: number): string {
  const fraction = progress.total > 0 ? Math.min(1, progress.done / progress.total) : 1;
  const counts = `${String(progress.done).padStart(String(progress.total).length)}/${progress.total}`;
  const tail = `${counts}  ${Math.floor(fraction * 100)
    .toString()
    .padStart(3)}%  ${rate(progress).toFixed(1)} alerts/s  ${progress.failed} failed`;
  // The bar takes what the numbers leave on one line (the last column stays free so nothing wraps),
  // between 10 and 40 cells.
  const width = Math.max(10, Math.min(40, columns - 1 - tail.length - 4));
  const filled = Math.round(fraction * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]  ${tail}`.slice(0, Math.max(1, columns - 1));
}

/** One quiet log line. */
export function formatLine(progress: BatchProgress, label: string): string {
  return `${label}: ${progress.done}/${progress.total} alerts, ${rate(progress).toFixed(1)} alerts/s, ${progress.failed} failed`;
}

/**
 * Whether a quiet line is due: the first alert (so a watcher knows work started), then about every 5%
 * (at most one line per alert, at least every 500), and the last.
 */
export function lineDue(done: number, total: number): boolean {
  if (done === 1 || done >= total) return true;
  const every = Math.min(500, Math.max(1, Math.ceil(total / 20)));
  return done % every === 0;
}

export interface ProgressReporter {
  update(progress: BatchProgress): void;
  /** Leaves the terminal on a fresh line. */
  end(): void;
}

/**
 * A reporter that writes through `write`. On a terminal it redraws at most every `redrawMs` (the last
 * alert always draws), so a fast batch does not spend its time repainting.
 */
export function createProgressReporter(options: {
  tty: boolean;
  columns: number;
  label: string;
  write: (text: string) => void;
  redrawMs?: number;
}): ProgressReporter {
  const redrawMs = options.redrawMs ?? 100;
  let lastDraw = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update(progress) {
      if (!options.tty) {
        if (lineDue(progress.done, progress.total)) options.write(`${formatLine(progress, options.label)}\n`);
        return;
      }
      if (progress.done < progress.total && progress.elapsedMs - lastDraw < redrawMs) return;
      lastDraw = progress.elapsedMs;
      drawn = true;
      options.write(`\r${formatBar(progress, options.columns)}${CLEAR_TO_END}`);
    },
    end() {
      if (options.tty && drawn) options.write("\n");
      drawn = false;
    },
  };
}
