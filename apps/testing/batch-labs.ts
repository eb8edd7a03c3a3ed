/** Lab databases for the batch tests: a copy of the seeded lab cut to its oldest alerts, a poisoned fixture. */
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { createFixtureLab, FIXTURE } from "../../tools/lab/testing/fixture.ts";

/** Its own copy of `seededLab` in `dir` with only the oldest `alerts`, and a case database beside it. */
export function labCopyEnv(
  dir: string,
  seededLab: string,
  name: string,
  alerts: number,
): { TRIAGE_DB: string; TRIAGE_LAB_DB: string } {
  const env = { TRIAGE_DB: join(dir, `${name}-cases.db`), TRIAGE_LAB_DB: join(dir, `${name}-lab.db`) };
  copyFileSync(seededLab, env.TRIAGE_LAB_DB);
  const lab = new Database(env.TRIAGE_LAB_DB);
  const kept = "SELECT id FROM alerts ORDER BY created_at, id LIMIT ?";
  lab.prepare(`DELETE FROM ground_truth WHERE alert_id NOT IN (${kept})`).run(alerts);
  lab.prepare(`DELETE FROM alerts WHERE id NOT IN (${kept})`).run(alerts);
  lab.close();
  return env;
}

/** The fixture lab plus FX-BAD, an alert whose severity no schema accepts, between its good ones. */
export function poisonedLab(path: string): void {
  const lab = createFixtureLab(path);
  const bad = {
    ...FIXTURE.alerts[0],
    id: "FX-BAD",
    severity: "apocalyptic",
    createdAt: "2026-11-03T10:10:00.000Z",
  };
  lab
    .prepare("INSERT INTO alerts (id, created_at, family, type, doc) VALUES (?, ?, ?, ?, ?)")
    .run(bad.id, bad.createdAt, "email", "user_reported_phish", JSON.stringify(bad));
  lab.close();
}
