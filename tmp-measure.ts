import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "./agent/config.ts";
import { openRuntime } from "./agent/setup.ts";
import { runTriage } from "./agent/run-triage.ts";
const dir = mkdtempSync(join(tmpdir(), "m-"));
const config = loadConfig({ db: join(dir, "c.db"), labDb: join(dir, "lab.db") });
const opened = await openRuntime(config);
const alerts = (await opened.runtime.deps.tools.alerts.listAlerts({ limit: 1000 })).filter((a) => a.family !== "email");
for (const a of alerts.slice(0, 10)) await runTriage(opened.runtime, a.id, { dryRun: true });
const t0 = performance.now(); const c0 = process.cpuUsage();
let n = 0;
for (let r = 0; r < 3; r++) for (const a of alerts) { await runTriage(opened.runtime, a.id, { dryRun: true }); n++; }
const ms = performance.now() - t0; const cpu = process.cpuUsage(c0);
console.log(`${n} alerts: ${(ms / n).toFixed(2)} ms wall, ${((cpu.user + cpu.system) / 1000 / n).toFixed(2)} ms cpu (sys ${(cpu.system / 1000 / n).toFixed(2)}) per alert`);
opened.close();
