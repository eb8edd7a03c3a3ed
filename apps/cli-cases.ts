/**
 * `triage cases list|feedback` and `triage audit verify|anchor`: reading case memory, checking its audit log
 * and exporting the signed head an auditor keeps.
 */
import type { Command } from "commander";
import type { ConfigOverrides } from "../agent/config.ts";
import type { SqlCaseMemory } from "../memory/case-store.ts";
import type { CampaignStore } from "../memory/campaigns.ts";
import type { AuditVerification } from "../memory/audit-verify.ts";
import { TriageError } from "../core/errors.ts";
import { userInfo } from "node:os";
import { EXIT, print, printJson } from "./output.ts";
import {
  registerBlastRadiusCommands,
  registerCampaignCommands,
  reviseFromFeedback,
} from "./cli-campaigns.ts";
import { renderTable } from "./render.ts";

interface Shared {
  addCommon: (command: Command) => Command;
  overrides: (options: ConfigOverrides & { json?: boolean }) => ConfigOverrides;
  setExit: (code: number) => void;
}

type Options = ConfigOverrides & { json?: boolean };

/** Opens case memory for one command; the modules load here, so `triage --help` does not load them. */
async function withMemory<T>(
  options: Options,
  overrides: Shared["overrides"],
  run: (memory: SqlCaseMemory, campaigns: CampaignStore) => T | Promise<T>,
): Promise<T> {
  const [{ loadConfig }, { openCaseDatabaseDriver }, { SqlCaseMemory }, { CampaignStore }] =
    await Promise.all([
      import("../agent/config.ts"),
      import("../memory/sql/open.ts"),
      import("../memory/case-store.ts"),
      import("../memory/campaigns.ts"),
    ]);
  const config = loadConfig(overrides(options));
  const driver = await openCaseDatabaseDriver(config.databasePath);
  try {
    const now = () => new Date();
    const memory = new SqlCaseMemory(driver, { now, audit: config.audit });
    return await run(memory, new CampaignStore(driver, { auditor: memory.auditor(), now }));
  } finally {
    await driver.close();
  }
}

const CASE_STATUSES = ["investigating", "awaiting_approval", "closed", "failed"] as const;

export function registerCaseCommands(cases: Command, program: Command, shared: Shared): void {
  const { addCommon, overrides, setExit } = shared;
  addCommon(
    cases
      .command("list")
      .description("cases, newest first")
      .option("--limit <n>", "most cases to list", "50")
      .option("--status <status>", `only this status (${CASE_STATUSES.join(", ")})`),
  ).action(async (options: Options & { limit: string; status?: string }) => {
    if (!/^\d+$/.test(options.limit))
      throw new TriageError("BAD_INPUT", `--limit must be a whole number, got ${options.limit}`);
    const status = CASE_STATUSES.find((s) => s === options.status);
    if (options.status !== undefined && !status) {
      throw new TriageError(
        "BAD_INPUT",
        `unknown status ${options.status}; expected ${CASE_STATUSES.join(", ")}`,
      );
    }
    const list = await withMemory(options, overrides, async (memory, campaigns) =>
      Promise.all(
        (await memory.listCases({ limit: Number(options.limit), ...(status ? { status } : {}) })).map(
          async (c) => {
            const campaign = await campaigns.ofCase(c.caseId);
            return {
              ...c,
              campaign: campaign
                ? { id: campaign.id, size: campaign.size, firstCaseId: campaign.firstCaseId }
                : null,
            };
          },
        ),
      ),
    );
    if (options.json) printJson(list);
    else
      print(
        renderTable(
          ["case", "alert", "type", "disposition", "confidence", "status", "campaign", "created"],
          list.map((c) => [
            c.caseId,
            c.alertId,
            c.type,
            c.disposition ?? "-",
            c.confidence === null ? "-" : c.confidence.toFixed(2),
            c.supersededBy
              ? `superseded by ${c.supersededBy}`
              : `${c.status}${c.incomplete ? " (incomplete)" : ""}`,
            c.campaign ? `${c.campaign.id} (${c.campaign.size})` : "-",
            c.createdAt,
          ]),
        ),
      );
    setExit(EXIT.ok);
  });

  addCommon(
    cases
      .command("feedback")
      .description("record an analyst's verdict on a case (used by recall and evals)")
      .argument("<case-id>")
      .argument("<disposition>", "malicious | suspicious | benign")
      .option("--by <name>", "who says so (default: your user name)")
      .option("--comment <text>", "why")
      .option("--execute", "send the revised outcome to a campaign's reporters (default: dry run)"),
  ).action(
    async (
      caseId: string,
      dispositionText: string,
      options: Options & { by?: string; comment?: string; execute?: boolean },
    ) => {
      const { dispositionSchema } = await import("../core/domain.ts");
      const parsed = dispositionSchema.safeParse(dispositionText);
      if (!parsed.success)
        throw new TriageError(
          "BAD_INPUT",
          `unknown disposition ${dispositionText}; expected ${dispositionSchema.options.join(", ")}`,
        );
      const disposition = parsed.data;
      const feedback = { disposition, by: options.by ?? userInfo().username, comment: options.comment ?? "" };
      const inCampaign = await withMemory(options, overrides, async (memory, campaigns) => {
        await memory.getCase(caseId); // NOT_FOUND, one line, for an unknown case
        return (await campaigns.ofCase(caseId)) !== null;
      });
      // A report of a campaign: the revision reaches every report and reporter of it.
      const revised = inCampaign ? await reviseFromFeedback(caseId, feedback, options, overrides) : null;
      if (!revised) await withMemory(options, overrides, (memory) => memory.recordFeedback(caseId, feedback));
      if (options.json) printJson({ caseId, disposition, campaign: revised });
      else
        print(
          revised
            ? `recorded ${disposition} for campaign ${revised.campaignId}: every report revised, ${revised.answered} reporter${revised.answered === 1 ? "" : "s"} told`
            : `recorded ${disposition} for ${caseId}`,
        );
      setExit(EXIT.ok);
    },
  );

  registerBlastRadiusCommands(cases, { addCommon, setExit, overrides });
  registerCampaignCommands(cases, {
    addCommon,
    setExit,
    withMemory: (options, run) => withMemory(options, overrides, run),
  });

  const audit = program
    .command("audit")
    .description("the append-only audit log: keyed chain, signed head, anchors");
  addCommon(
    audit
      .command("verify")
      .description("recompute the keyed chain and check its head; exit 1 at the first bad entry")
      .option("--anchor <file>", "also check an anchor exported by `triage audit anchor`"),
  ).action(async (options: Options & { anchor?: string }) => {
    const { readSignedHead } = await import("../memory/audit-key.ts");
    const anchor = options.anchor === undefined ? null : readSignedHead(options.anchor, "anchor file");
    if (options.anchor !== undefined && !anchor)
      throw new TriageError("BAD_INPUT", `no anchor file ${options.anchor}`);
    const result = await withMemory(options, overrides, (memory) =>
      memory.verifyAudit(anchor ? { anchor } : {}),
    );
    if (options.json) printJson(result);
    else print(verificationLine(result));
    setExit(result.ok ? EXIT.ok : EXIT.internal);
  });

  addCommon(
    audit
      .command("anchor")
      .description("export the signed head of the audit log (keep it where this host cannot write)")
      .option("--out <file>", "write the anchor to this file"),
  ).action(async (options: Options & { out?: string }) => {
    const anchor = await withMemory(options, overrides, (memory) => memory.auditAnchor());
    if (options.out !== undefined)
      (await import("../memory/audit-key.ts")).writeSignedHead(options.out, anchor);
    if (options.json) printJson(anchor);
    else
      print(
        `audit anchor: entry ${anchor.seq} of ${anchor.count}, mac ${anchor.mac.slice(0, 16)}…, key ${anchor.keyId}${options.out === undefined ? "" : `, written to ${options.out}`}`,
      );
    setExit(EXIT.ok);
  });
}

function verificationLine(result: AuditVerification): string {
  if (!result.ok)
    return `audit log BROKEN${result.firstBadSeq === undefined ? "" : ` at entry ${result.firstBadSeq}`}: ${result.reason ?? "mismatch"}`;
  const legacy = result.legacy ? `; ${result.legacy} legacy rows, unkeyed` : "";
  const checked = result.checked.length ? `; checked ${result.checked.join(" and ")}` : "";
  return `audit log intact: ${result.entries} entries (${result.keyed} keyed${legacy})${checked}`;
}
