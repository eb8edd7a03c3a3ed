/**
 * The email playbook on an alert as a vendor sends it: no mail-system id of the reported copy, only the
 * Internet Message-ID and the recipient. It must find the copy first and reach the lab alert's verdict.
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
import type { Alert, Toolset } from "../../../../tools/types.ts";

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

const vendorLike = (tools: Toolset): Toolset => ({
  ...tools,
  alerts: { ...tools.alerts, getAlert: async (id, o) => asVendorAlert(await tools.alerts.getAlert(id, o)) },
});

describe("email playbook from a Message-ID", () => {
  it("finds the reported copy by its Message-ID and reaches the same verdict", async () => {
    const labDb = join(dir, "lab.db");
    const lab = openLab(labDb, { seed: 1337 });
    const truth = readGroundTruth(lab).filter((t) => t.alertId.startsWith("LAB-"));
    lab.close();
    const config = loadConfig({ db: join(dir, "cases.db"), labDb });
    const plain = await openRuntime(config, { checkpointer: false });
    const vendor = await openRuntime(config, { checkpointer: false, wrapTools: vendorLike });
    try {
      const emails = (await plain.runtime.deps.tools.alerts.listAlerts({ limit: 1000 }))
        .filter((a) => a.family === "email")
        .slice(0, 12);
      expect(emails.length).toBeGreaterThan(5);
      let checked = 0;
      for (const alert of emails) {
        const full = await plain.runtime.deps.tools.alerts.getAlert(alert.id);
        if (!full.observables.some((o) => o.type === "message_id")) continue;
        checked++;
        const expected = (await runTriage(plain.runtime, alert.id, { dryRun: true })).report;
        const got = (await runTriage(vendor.runtime, alert.id, { dryRun: true })).report;
        expect(got.verdict.disposition, alert.id).toBe(expected.verdict.disposition);
        expect(got.steps[0]?.tool, alert.id).toBe("mail_find_messages");
        expect(
          got.steps.some((s) => s.tool === "mail_get_message" && s.round === 2),
          alert.id,
        ).toBe(true);
        expect(truth.some((t) => t.alertId === alert.id)).toBe(true);
      }
      expect(checked).toBeGreaterThanOrEqual(5);
    } finally {
      plain.close();
      vendor.close();
    }
  });
});
