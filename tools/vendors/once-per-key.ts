/**
 * Idempotency for vendor responders. Case memory already claims every action once across processes; this
 * covers racing calls inside one process (the first runs, the rest report already_done) and remembers
 * finished keys. A failure releases its key, so a retry fails or succeeds on its own merits. Vendors check
 * the target's state as well (a contained host is "already done" whatever the key).
 */
import type { ResponseOutcome } from "../../core/domain.ts";

export function oncePerKey(): (key: string, run: () => Promise<ResponseOutcome>) => Promise<ResponseOutcome> {
  const started = new Map<string, Promise<ResponseOutcome>>();
  return async (key, run) => {
    const earlier = started.get(key);
    if (earlier) {
      const outcome = await earlier;
      return { outcome: "already_done", detail: outcome.detail };
    }
    const attempt = run();
    started.set(key, attempt);
    try {
      return await attempt;
    } catch (error) {
      started.delete(key);
      throw error;
    }
  };
}
