/**
 * `triage cases merge|split|undo`: a person's corrections to campaign grouping, each audited (keyed audit
 * log) and undoable; and the campaign revision that `triage cases feedback` makes on a campaign's report.
 */
import { userInfo } from "node:os";
import type { Command } from "commander";
import type { BlastRadius } from "../agent/campaigns/blast-radius.ts";
import type { CampaignRuntime } from "../agent/campaigns/triage-report.ts";
import type { ConfigOverrides } from "../agent/config.ts";
import type { Disposition } from "../core/domain.ts";
import type { CampaignChange, CampaignStore } from "../memory/campaigns.ts";
import type { SqlCaseMemory } from "../memory/case-store.ts";
import { EXIT, print, printJson } from "./output.ts";

type Options = ConfigOverrides & { json?: boolean; by?: string; reason?: string };
type WithMemory = <T>(
  options: Options,
  run: (memory: SqlCaseMemory, campaigns: CampaignStore) => T | Promise<T>,
) => Promise<T>;

/** The runtime with its campaign store; the modules load here, so `triage --help` does not load them. */
async function openCampaignRuntime(options: Options, overrides: (options: Options) => ConfigOverrides) {
  const [{ loadConfig }, { openRuntime }, { campaignRuntime }] = await Promise.all([
    import("../agent/config.ts"),
    import("../agent/setup.ts"),
    import("./campaign-output.ts"),
  ]);
  const opened = await openRuntime(loadConfig(overrides(options)), { checkpointer: false });
  return { opened, runtime: campaignRuntime(opened) };
}

function describe(change: CampaignChange): string {
  const moved = change.moves.length;
  const first = change.moves[0];
  const where = first ? ` (${first.from} -> ${first.to})` : "";
  const undo = change.kind === "undo" ? "" : `; undo with triage cases undo ${change.id}`;
  return `${change.kind} ${change.id}: ${moved} report${moved === 1 ? "" : "s"} moved${where}${undo}`;
}

export function registerCampaignCommands(
  cases: Command,
  shared: { addCommon: (c: Command) => Command; setExit: (code: number) => void; withMemory: WithMemory },
): void {
  const { addCommon, setExit, withMemory } = shared;
  const done = (change: CampaignChange, options: Options) => {
    if (options.json) printJson(change);
    else print(describe(change));
    setExit(EXIT.ok);
  };
  addCommon(
    cases
      .command("merge")
      .description("put B's campaign into A's (case ids or campaign ids); audited, undoable")
      .argument("<a>")
      .argument("<b>")
      .requiredOption("--reason <text>", "why they are one attack")
      .option("--by <name>", "who merges (default: your user name)"),
  ).action(async (a: string, b: string, options: Options) =>
    done(
      await withMemory(options, (_memory, campaigns) =>
        campaigns.merge(a, b, { by: options.by ?? userInfo().username, reason: options.reason ?? "" }),
      ),
      options,
    ),
  );
  addCommon(
    cases
      .command("split")
      .description("take a report out of its campaign into one of its own; audited, undoable")
      .argument("<case-id>")
      .requiredOption("--reason <text>", "why it is not the same attack")
      .option("--by <name>", "who splits (default: your user name)"),
  ).action(async (caseId: string, options: Options) =>
    done(
      await withMemory(options, (_memory, campaigns) =>
        campaigns.split(caseId, { by: options.by ?? userInfo().username, reason: options.reason ?? "" }),
      ),
      options,
    ),
  );
  addCommon(
    cases
      .command("undo")
      .description("undo a merge or split (its id was printed when it was made)")
      .argument("<change-id>")
      .option("--by <name>", "who undoes it (default: your user name)"),
  ).action(async (changeId: string, options: Options) =>
    done(
      await withMemory(options, (_memory, campaigns) =>
        campaigns.undo(changeId, { by: options.by ?? userInfo().username }),
      ),
      options,
    ),
  );
}

async function withCampaigns<T>(
  options: Options,
  overrides: (options: Options) => ConfigOverrides,
  run: (runtime: CampaignRuntime, campaignId: string) => Promise<T>,
  id: string,
): Promise<T> {
  const { opened, runtime } = await openCampaignRuntime(options, overrides);
  try {
    return await run(runtime, await opened.campaigns.resolve(id));
  } finally {
    await opened.close();
  }
}

function radiusText(r: BlastRadius): string {
  const mailboxes = new Set(r.copies.map((c) => c.mailbox)).size;
  return [
    `Campaign ${r.campaignId}: ${r.messageIds.length} message${r.messageIds.length === 1 ? "" : "s"}, ${r.copies.length} copies in ${mailboxes} mailboxes`,
    `  reported by (${r.reporters.length}): ${r.reporters.join(", ") || "-"}`,
    `  clicked (${r.clicked.length}): ${r.clicked.join(", ") || "-"}`,
    ...r.unavailable.map((u) => `  not checked: ${u}`),
  ].join("\n");
}

/** `triage cases blast-radius|contain <campaign-or-case>`. */
export function registerBlastRadiusCommands(
  cases: Command,
  shared: {
    addCommon: (c: Command) => Command;
    setExit: (code: number) => void;
    overrides: (options: Options) => ConfigOverrides;
  },
): void {
  const { addCommon, setExit, overrides } = shared;
  addCommon(
    cases
      .command("blast-radius")
      .description("every copy, clicker and reporter of a campaign (campaign id or any of its cases)")
      .argument("<id>"),
  ).action(async (id: string, options: Options) => {
    const { blastRadius } = await import("../agent/campaigns/blast-radius.ts");
    const radius = await withCampaigns(
      options,
      overrides,
      (runtime, campaignId) => blastRadius(runtime, campaignId),
      id,
    );
    if (options.json) printJson(radius);
    else print(radiusText(radius));
    setExit(EXIT.ok);
  });
  addCommon(
    cases
      .command("contain")
      .description("one quarantine of every copy of a campaign, under the policy's blast-radius rules")
      .argument("<id>")
      .option("--execute", "act (default: dry run)")
      .option("--approve", "answer the policy's require_approval as a person (with --by)")
      .option("--by <name>", "who approves (default: your user name)"),
  ).action(async (id: string, options: Options & { execute?: boolean; approve?: boolean }) => {
    const { containCampaign } = await import("../agent/campaigns/blast-radius.ts");
    const done = await withCampaigns(
      options,
      overrides,
      (runtime, campaignId) =>
        containCampaign(runtime, campaignId, {
          dryRun: !options.execute,
          ...(options.approve ? { approvedBy: options.by ?? userInfo().username } : {}),
        }),
      id,
    );
    if (options.json) printJson(done);
    else
      print(
        `${radiusText(done.radius)}\n${done.action.type} ${done.action.target} (blast radius ${done.action.blastRadius})  policy: ${done.decision.decision} (rule ${done.decision.rule})  status: ${done.result.status}  ${done.result.detail}`,
      );
    setExit(done.result.status === "pending_approval" ? EXIT.waiting : EXIT.ok);
  });
}

/**
 * Feedback on a report of a campaign revises the campaign: every report gets the person's word and every
 * reporter is told the new outcome (through the policy gate). Null when the case is in no campaign.
 */
export async function reviseFromFeedback(
  caseId: string,
  feedback: { disposition: Disposition; by: string; comment: string },
  options: Options & { execute?: boolean },
  overrides: (options: Options) => ConfigOverrides,
): Promise<{ campaignId: string; answered: number } | null> {
  const { reviseCampaign } = await import("../agent/campaigns/triage-report.ts");
  const { opened, runtime } = await openCampaignRuntime(options, overrides);
  try {
    const campaign = await opened.campaigns.ofCase(caseId);
    if (!campaign) return null;
    const result = await reviseCampaign(runtime, campaign.id, feedback, {
      dryRun: !options.execute,
      recordFeedback: (member) => opened.memory.recordFeedback(member, feedback),
    });
    return { campaignId: result.campaign.id, answered: result.answered };
  } finally {
    await opened.close();
  }
}
