/** `triage cases list|feedback` and `triage audit verify`: reading case memory and checking its audit log. */
import type { Command } from "commander";
import type { z } from "zod";
import { loadConfig, type ConfigOverrides } from "../agent/config.ts";
import { openCaseDatabase } from "../memory/db.ts";
import { SqliteCaseMemory, verifyAuditLog } from "../memory/case-store.ts";
import { TriageError } from "../tools/errors.ts";
import type { dispositionSchema as DispositionSchema } from "../tools/types.ts";
import { userInfo } from "node:os";
import { EXIT, print, printJson } from "./output.ts";
import { renderTable } from "./render.ts";

interface Shared {
  addCommon: (command: Command) => Command;
  overrides: (options: ConfigOverrides & { json?: boolean }) => ConfigOverrides;
  setExit: (code: number) => void;
  dispositionSchema: typeof DispositionSchema;
}

type Options = ConfigOverrides & { json?: boolean };
type Disposition = z.infer<typeof DispositionSchema>;

function withMemory<T>(
  options: Options,
  overrides: Shared["overrides"],
  run: (memory: SqliteCaseMemory, db: ReturnType<typeof openCaseDatabase>) => T,
): T {
  const config = loadConfig(overrides(options));
  const db = openCaseDatabase(config.databasePath);
  try {
    return run(new SqliteCaseMemory(db, { now: () => new Date() }), db);
  } finally {
    db.close();
  }
}

const CASE_STATUSES = ["investigating", "awaiting_approval", "closed", "failed"] as const;

export function registerCaseCommands(cases: Command, program: Command, shared: Shared): void {
  const { addCommon, overrides, setExit, dispositionSchema } = shared;
  addCommon(
    cases
      .command("list")
      .description("cases, newest first")
      .option("--limit <n>", "most cases to list", "50")
      .option("--status <status>", `only this status (${CASE_STATUSES.join(", ")})`),
  ).action((options: Options & { limit: string; status?: string }) => {
    if (!/^\d+$/.test(options.limit))
      throw new TriageError("BAD_INPUT", `--limit must be a whole number, got ${options.limit}`);
    const status = CASE_STATUSES.find((s) => s === options.status);
    if (options.status !== undefined && !status) {
      throw new TriageError(
        "BAD_INPUT",
        `unknown status ${options.status}; expected ${CASE_STATUSES.join(", ")}`,
      );
    }
    const list = withMemory(options, overrides, (memory) =>
      memory.listCases({ limit: Number(options.limit), ...(status ? { status } : {}) }),
    );
    if (options.json) printJson(list);
    else
      print(
        renderTable(
          ["case", "alert", "type", "disposition", "confidence", "status", "created"],
          list.map((c) => [
            c.caseId,
            c.alertId,
            c.type,
            c.disposition ?? "-",
            c.confidence === null ? "-" : c.confidence.toFixed(2),
            c.supersededBy
              ? `superseded by ${c.supersededBy}`
              : `${c.status}${c.incomplete ? " (incomplete)" : ""}`,
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
      .option("--comment <text>", "why"),
  ).action(
    (caseId: string, dispositionText: string, options: Options & { by?: string; comment?: string }) => {
      const parsed = dispositionSchema.safeParse(dispositionText);
      if (!parsed.success)
        throw new TriageError(
          "BAD_INPUT",
          `unknown disposition ${dispositionText}; expected ${dispositionSchema.options.join(", ")}`,
        );
      const disposition: Disposition = parsed.data;
      withMemory(options, overrides, (memory) =>
        memory.recordFeedback(caseId, {
          disposition,
          by: options.by ?? userInfo().username,
          comment: options.comment ?? "",
        }),
      );
      if (options.json) printJson({ caseId, disposition });
      else print(`recorded ${disposition} for ${caseId}`);
      setExit(EXIT.ok);
    },
  );

  const audit = program.command("audit").description("the append-only, hash-chained audit log");
  addCommon(
    audit.command("verify").description("recompute the hash chain; exit 1 if any entry was altered"),
  ).action((options: Options) => {
    const result = withMemory(options, overrides, (_memory, db) => verifyAuditLog(db));
    if (options.json) printJson(result);
    else if (result.ok) print(`audit log intact: ${result.entries} entries`);
    else print(`audit log BROKEN at entry ${result.firstBadSeq ?? "?"}: ${result.reason ?? "hash mismatch"}`);
    setExit(result.ok ? EXIT.ok : EXIT.internal);
  });
}
