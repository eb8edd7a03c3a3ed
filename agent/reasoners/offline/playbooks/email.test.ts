/**
 * The email playbook on an alert as a vendor sends it: no mail-system id of the reported copy, only the
 * Internet Message-ID and the recipient, or only the sender and the recipient. It must find the copy
 * first and reach the lab alert's verdict.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../config.ts";
import { runTriage } from "../../../run-triage.ts";
import { openRuntime } from "../../../setup.ts";
import { readGroundTruth } from "../../../../tools/lab/ground-truth.ts";
import { openLab } from "../../../../tools/lab/index.ts";
import type { Alert } from "../../../../core/domain.ts";
import type { Toolset } from "../../../../core/ports.ts";

const dir = mkdtempSync(join(tmpdir(), "email-playbook-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The alert as a vendor would send it: the copy's mailbox becomes a recipient observable, its id is gone. */
function asVendorAlert(alert: Alert): Alert {
  const { mailbox, mailId: _mailId, reporter: _reporter, ...rest } = alert.raw;
  return {
    ...alert,
    raw: rest,
    observables: [
      ...alert.observables.filter((o) => o.role !== "reporter"),
      ...(typeof mailbox === "string" ? [{ type: "email" as const, value: mailbox, role: "recipient" }] : []),
    ],
  };
}

/** Less still: no Message-ID either, only the sender and the recipient. */
function asSenderOnlyAlert(alert: Alert): Alert {
  const vendor = asVendorAlert(alert);
  const { internetMessageId: _id, ...raw } = vendor.raw;
  return { ...vendor, raw, observables: vendor.observables.filter((o) => o.type !== "message_id") };
}

const rewriting =
  (rewrite: (alert: Alert) => Alert) =>
  (tools: Toolset): Toolset => ({
    ...tools,
    alerts: { ...tools.alerts, getAlert: async (id, o) => rewrite(await tools.alerts.getAlert(id, o)) },
  });

describe("email playbook on a vendor's alert", () => {
  it.each([
    ["its Message-ID", asVendorAlert, { messageId: expect.any(String) }],
    [
      "the sender, in the recipient's mailbox",
      asSenderOnlyAlert,
      { from: expect.any(String), mailbox: expect.any(String) },
    ],
  ])("finds the reported copy by %s and reaches the same verdict", async (_how, rewrite, searchArgs) => {
    const labDb = join(dir, "lab.db");
    const lab = openLab(labDb, { seed: 1337 });
    const truth = readGroundTruth(lab).filter((t) => t.alertId.startsWith("LAB-"));
    lab.close();
    const config = loadConfig({ db: join(dir, "cases.db"), labDb });
    const plain = await openRuntime(config, { checkpointer: false });
    const vendor = await openRuntime(config, { checkpointer: false, wrapTools: rewriting(rewrite) });
    try {
      const emails = (await plain.runtime.deps.tools.alerts.listAlerts({ limit: 1000 }))
        .filter((a) => a.family === "email")
        .slice(0, 12);
      let checked = 0;
      for (const alert of emails) {
        const full = await plain.runtime.deps.tools.alerts.getAlert(alert.id);
        if (!full.observables.some((o) => o.type === "message_id")) continue;
        checked++;
        const expected = (await runTriage(plain.runtime, alert.id, { dryRun: true })).report;
        const got = (await runTriage(vendor.runtime, alert.id, { dryRun: true })).report;
        expect(got.verdict.disposition, alert.id).toBe(expected.verdict.disposition);
        expect(got.steps[0]?.tool, alert.id).toBe("mail_find_messages");
        expect(got.steps[0]?.args, alert.id).toMatchObject(searchArgs);
        expect(
          got.steps.some((s) => s.tool === "mail_get_message" && s.round === 2),
          alert.id,
        ).toBe(true);
        expect(truth.some((t) => t.alertId === alert.id)).toBe(true);
      }
      expect(checked).toBeGreaterThanOrEqual(5);
    } finally {
      await plain.close();
      await vendor.close();
    }
  });
});

describe("email playbook's link blocking", () => {
  it("blocks every link intel calls malicious (at most 3), read from the lookups, not from a finding's title", async () => {
    const labDb = join(dir, "lab-links.db");
    openLab(labDb, { seed: 1337 }).close();
    const config = loadConfig({ db: join(dir, "cases-links.db"), labDb });
    // Every link and domain is malicious: several links share one finding (its title names only the first).
    const allMalicious = (tools: Toolset): Toolset => ({
      ...tools,
      intel: {
        ...tools.intel,
        lookup: async (observable, options) =>
          observable.type === "url" || observable.type === "domain"
            ? { observable, verdict: "malicious", score: 100, sources: ["test"], tags: ["phishing"] }
            : tools.intel.lookup(observable, options),
      },
    });
    const opened = await openRuntime(config, { checkpointer: false, wrapTools: allMalicious });
    try {
      const emails = (await opened.runtime.deps.tools.alerts.listAlerts({ limit: 1000 })).filter(
        (a) => a.family === "email",
      );
      let checked = 0;
      for (const alert of emails.slice(0, 40)) {
        const { report } = await runTriage(opened.runtime, alert.id, { dryRun: true });
        const looked = report.steps
          .filter((s) => s.tool === "intel_lookup" && s.args.type === "url")
          .map((s) => s.args.value);
        if (looked.length < 2 || report.verdict.disposition !== "malicious") continue;
        checked++;
        const blocked = report.actions.filter((a) => a.type === "block_url").map((a) => a.target);
        expect(blocked, alert.id).toEqual(looked.slice(0, 3));
        if (checked === 2) break;
      }
      expect(checked).toBeGreaterThan(0);
    } finally {
      await opened.close();
    }
  });
});
