/** What the bot's handlers share: the triage runtime, the card store, settings, a clock and in-flight work. */
import type { OpenedRuntime } from "../../agent/setup.ts";
import type { SlackCardStore } from "./card-store.ts";
import type { SlackSettings } from "./settings.ts";

export interface BotContext {
  opened: OpenedRuntime;
  cards: SlackCardStore;
  settings: Pick<SlackSettings, "approvers" | "dryRun">;
  now: () => Date;
  /** Keeps `work` until it settles, so stopping the bot waits for it before the databases close. */
  track: <T>(work: Promise<T>) => Promise<T>;
  /**
   * Runs `work` after every earlier decision on the same case has finished: two presses at once would
   * otherwise both find the case paused and resume it twice.
   */
  serialize: <T>(caseId: string, work: () => Promise<T>) => Promise<T>;
}

/** Per-key serialization in this process (cross-process races are resumeTriage's to settle). */
export function createSerializer(): BotContext["serialize"] {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };
}

/** A tracker for in-flight work and a way to wait for all of it. */
export function createTracker(): { track: BotContext["track"]; settled: () => Promise<void> } {
  const pending = new Set<Promise<unknown>>();
  return {
    track: <T>(work: Promise<T>): Promise<T> => {
      pending.add(work);
      const forget = () => pending.delete(work);
      work.then(forget, forget);
      return work;
    },
    settled: async () => {
      while (pending.size) await Promise.allSettled([...pending]);
    },
  };
}
