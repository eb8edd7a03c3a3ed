/**
 * Concurrency bounds. Outlook allows 4 concurrent requests per app per mailbox and throttles past it, and a
 * search fans out over many mailboxes: each request to a mailbox goes through that mailbox's gate, and the
 * fan-out runs a bounded number of mailboxes at a time.
 */

export interface Limiter {
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Tasks running or waiting. */
  pending(): number;
}

export function createLimiter(max: number): Limiter {
  let active = 0;
  let waiting = 0;
  const queue: Array<() => void> = [];
  // A finishing task hands its slot straight to the next in line, so a newcomer cannot slip in between.
  const release = () => {
    const next = queue.shift();
    if (next) next();
    else active--;
  };
  return {
    async run(task) {
      if (active < max) active++;
      else {
        waiting++;
        await new Promise<void>((resolve) => queue.push(resolve));
        waiting--;
      }
      try {
        return await task();
      } finally {
        release();
      }
    },
    pending: () => active + waiting,
  };
}

/** One limiter per key (a mailbox), dropped when idle so the map does not grow with every mailbox seen. */
export function keyedLimiter(max: number): <T>(key: string, task: () => Promise<T>) => Promise<T> {
  const limiters = new Map<string, Limiter>();
  return async (key, task) => {
    const normalized = key.toLowerCase();
    let limiter = limiters.get(normalized);
    if (!limiter) {
      limiter = createLimiter(max);
      limiters.set(normalized, limiter);
    }
    const mine = limiter;
    try {
      return await mine.run(task);
    } finally {
      if (mine.pending() === 0 && limiters.get(normalized) === mine) limiters.delete(normalized);
    }
  };
}

/** `fn` over every item, at most `max` at once, results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  max: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const limiter = createLimiter(max);
  return Promise.all(items.map((item) => limiter.run(() => fn(item))));
}
