import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readGroundTruth } from "../../tools/lab/ground-truth.ts";
import { openLab } from "../../tools/lab/index.ts";
import { loadConfig } from "../config.ts";
import { openRuntime, type OpenedRuntime } from "../setup.ts";
import { blastRadius, containCampaign } from "./blast-radius.ts";
import { triageReport, type CampaignRuntime } from "./triage-report.ts";

const dir = mkdtempSync(join(tmpdir(), "soc-triage-blast-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let opened: OpenedRuntime;
let runtime: CampaignRuntime;
let phishing: string[] = [];
let simulation = "";

beforeAll(async () => {
  const config = loadConfig({ db: join(dir, "cases.db"), labDb: join(dir, "lab.db") }, {});
  const lab = openLab(config.labDatabasePath, { seed: config.labSeed });
  const truth = readGroundTruth(lab);
  lab.close();
  opened = await openRuntime(config, { checkpointer: false });
  runtime = { ...opened.runtime, campaigns: opened.campaigns };
  const email = new Set(
    (await opened.runtime.deps.tools.alerts.listAlerts({ limit: 1000 }))
      .filter((a) => a.family === "email")
      .map((a) => a.id),
  );
  phishing = truth
    .filter((t) => email.has(t.alertId) && t.category === "credential_phishing")
    .map((t) => t.alertId);
  simulation = truth.find((t) => email.has(t.alertId) && t.category === "phishing_simulation")?.alertId ?? "";
}, 60_000);
afterAll(() => opened.close());

describe("a campaign's blast radius", () => {
  it("finds every copy and reporter, and one quarantine covers them all under the policy, once", async () => {
    const first = await triageReport(runtime, phishing[0] ?? "", { dryRun: true });
    const id = first.campaign?.id;
    if (!id) throw new Error("expected a campaign");
    for (const alertId of phishing.slice(1)) await triageReport(runtime, alertId, { dryRun: true });
    const radius = await blastRadius(runtime, id);
    expect(radius.copies.length).toBeGreaterThanOrEqual((await runtime.campaigns.get(id)).size);
    expect(radius.reporters.length).toBeGreaterThan(0);
    expect(radius.unavailable).toEqual([]);

    const done = await containCampaign(runtime, id, { dryRun: false });
    expect(done.action).toMatchObject({ type: "quarantine_message", target: `campaign:${id}` });
    expect(done.action.blastRadius).toBe(new Set(radius.copies.map((c) => c.mailbox)).size);
    // The lab's seeded campaign: confident malicious, fewer than 51 mailboxes, so the policy allows it.
    expect(done.decision.rule).toBe("quarantine-confident-malicious");
    expect(done.result.status).toBe("executed");
    const again = await containCampaign(runtime, id, { dryRun: false });
    expect(again.result).toMatchObject({ status: "executed", idempotencyKey: done.result.idempotencyKey });
    const copies = await blastRadius(runtime, id);
    expect(copies.copies.every((c) => c.folder === "Quarantine")).toBe(true);
  }, 120_000);

  it("never quarantines a simulation, even approved by a person", async () => {
    const outcome = await triageReport(runtime, simulation, { dryRun: true });
    const id = outcome.campaign?.id;
    if (!id) throw new Error("expected a campaign");
    const done = await containCampaign(runtime, id, { dryRun: false, approvedBy: "alice" });
    expect(done.decision.decision).toBe("deny");
    expect(done.result.status).toBe("denied");
  }, 60_000);
});
