/**
 * Generates the lab: Northwind Traders' people and hosts, two weeks of background activity, and every
 * scenario with its ground truth, written in one transaction. Same seed, same database.
 */
import type Database from "better-sqlite3";
import { LAB_DDL, LAB_SCHEMA_VERSION } from "./schema.ts";
import { Rng } from "./random.ts";
import { emailScenarios } from "./scenarios/email.ts";
import { endpointScenarios } from "./scenarios/endpoint.ts";
import { identityScenarios } from "./scenarios/identity.ts";
import { buildWorld, writeBackground } from "./world.ts";
import { LabWriter } from "./writer.ts";

export const LAB_BASE_TIME = Date.parse("2026-11-02T08:00:00Z");
export const GENERATOR_VERSION = "1";

export function generateLab(db: Database.Database, options: { seed: number }): { alerts: number } {
  const writer = new LabWriter(new Rng(options.seed), LAB_BASE_TIME);
  const world = buildWorld(writer);
  writeBackground(writer, world);
  emailScenarios(writer, world);
  identityScenarios(writer, world);
  endpointScenarios(writer, world);
  let alerts = 0;
  db.transaction(() => {
    db.exec(LAB_DDL);
    alerts = writer.write(db);
    const meta = db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    meta.run("schema_version", String(LAB_SCHEMA_VERSION));
    meta.run("seed", String(options.seed));
    meta.run("generator_version", GENERATOR_VERSION);
  })();
  return { alerts };
}
