/**
 * Runtimes over the fixture lab for in-process tests of batch, schedule and queue workers: five alerts at
 * known times (and a poisoned one if asked), a scratch case memory each, and a reasoner that holds an alert
 * in flight until released.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../agent/config.ts";
import { createOfflineReasoner } from "../../agent/reasoners/offline/index.ts";
import type { Reasoner } from "../../agent/reasoners/types.ts";
import { openRuntime, type OpenedRuntime } from "../../agent/setup.ts";
import { createFixtureLab, FIXTURE } from "../../tools/lab/testing/fixture.ts";

export const minute = (m: number) =>
  new Date(Date.parse("2026-11-03T10:00:00.000Z") + m * 60_000).toISOString();

/** FX-1 (minute 0), FX-2 (30), FX-3 and FX-4 (both 45), FX-5 (60), and a poisoned FX-BAD at 50 if asked. */
function lab(dir: string, name: string, options: { poisoned?: boolean } = {}): string {
  const path = join(dir, `${name}-lab.db`);
  const db = createFixtureLab(path);
  const insert = db.prepare("INSERT INTO alerts (id, created_at, family, type, doc) VALUES (?, ?, ?, ?, ?)");
  const [email, identity] = FIXTURE.alerts;
  if (!email || !identity) throw new Error("the fixture lab lost its email or identity alert");
  const extra = [
    { ...email, id: "FX-3", createdAt: minute(45) },
    { ...identity, id: "FX-4", createdAt: minute(45) },
    { ...email, id: "FX-5", createdAt: minute(60) },
    ...(options.poisoned ? [{ ...email, id: "FX-BAD", severity: "apocalyptic", createdAt: minute(50) }] : []),
  ];
  for (const a of extra) insert.run(a.id, a.createdAt, a.family, a.type, JSON.stringify(a));
  db.close();
  return path;
}

/** Opens runtimes in one temp directory, which `cleanup` removes (call it in afterAll). */
export function fixtureRuntimes(prefix: string): {
  runtime: (name: string, options?: { poisoned?: boolean; reasoner?: Reasoner }) => Promise<OpenedRuntime>;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    runtime: async (name, options = {}) => {
      const config = loadConfig({ db: join(dir, `${name}-cases.db`), labDb: lab(dir, name, options) }, {});
      return openRuntime(config, options.reasoner ? { reasoner: options.reasoner } : {});
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The offline engine, held at its first plan until `release` is called: an alert that stays in flight. */
export function heldReasoner(): { reasoner: Reasoner; release: () => void } {
  const offline = createOfflineReasoner();
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    release,
    reasoner: {
      name: offline.name,
      plan: async (context) => {
        await released;
        return offline.plan(context);
      },
      assess: (context) => offline.assess(context),
      proposeActions: (context) => offline.proposeActions(context),
    },
  };
}
