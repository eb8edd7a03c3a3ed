/** `triage lab …` and `triage eval`: the embedded lab and the engine's accuracy on it. */
import { existsSync, rmSync } from "node:fs";
import type { Command } from "commander";
import type { ConfigOverrides } from "../agent/config.ts";
import { join } from "node:path";
import { projectRoot } from "../agent/project-root.ts";
import { TriageError } from "../core/errors.ts";
import { EXIT, print, printJson } from "./output.ts";
import { renderTable } from "./render.ts";

/** What the lab commands run, loaded when one runs. */
const load = () =>
  Promise.all([import("../agent/config.ts"), import("../tools/lab/index.ts"), import("../core/domain.ts")]);

interface Shared {
  addCommon: (command: Command) => Command;
  overrides: (options: ConfigOverrides & { json?: boolean }) => ConfigOverrides;
  setExit: (code: number) => void;
}

type Options = ConfigOverrides & { json?: boolean };

export function registerLabCommands(program: Command, { addCommon, overrides, setExit }: Shared): void {
  const lab = program.command("lab").description("the embedded lab: a seeded fictional company");
  addCommon(
    lab.command("list").description("the lab's alerts").option("--family <family>", "only this family"),
  ).action(async (options: Options & { family?: string }) => {
    const [{ loadConfig }, { createLabToolset, openLab }, { alertFamilySchema }] = await load();
    const config = loadConfig(overrides(options));
    const family = options.family === undefined ? undefined : alertFamilySchema.safeParse(options.family);
    if (family && !family.success) {
      throw new TriageError(
        "BAD_INPUT",
        `unknown family ${options.family}; expected ${alertFamilySchema.options.join(", ")}`,
      );
    }
    const db = openLab(config.labDatabasePath, { seed: config.labSeed });
    try {
      const alerts = (await createLabToolset(db).alerts.listAlerts({ limit: 100_000 })).filter(
        (a) => !family?.data || a.family === family.data,
      );
      if (options.json) printJson(alerts);
      else
        print(
          renderTable(
            ["id", "family", "type", "severity", "title"],
            alerts.map((a) => [a.id, a.family, a.type, a.severity, a.title]),
          ),
        );
    } finally {
      db.close();
    }
    setExit(EXIT.ok);
  });
  addCommon(
    lab
      .command("reset")
      .description("regenerate the lab database")
      .option("--seed <n>", "scenario seed", (v) => {
        if (!/^\d+$/.test(v)) throw new TriageError("BAD_INPUT", `--seed must be a whole number, got ${v}`);
        return Number(v);
      }),
  ).action(async (options: Options & { seed?: number }) => {
    const [{ loadConfig }, { createLabToolset, openLab }] = await load();
    const config = loadConfig(overrides(options));
    if (existsSync(config.labDatabasePath)) rmSync(config.labDatabasePath);
    for (const suffix of ["-wal", "-shm"]) rmSync(`${config.labDatabasePath}${suffix}`, { force: true });
    const db = openLab(config.labDatabasePath, { seed: options.seed ?? config.labSeed });
    const count = (await createLabToolset(db).alerts.listAlerts({ limit: 100_000 })).length;
    db.close();
    print(`lab database ${config.labDatabasePath}: ${count} alerts`);
    setExit(EXIT.ok);
  });

  addCommon(
    program
      .command("eval")
      .description("measure the engine on labeled data")
      .option("--lab", "accuracy on the lab's ground truth")
      .option(
        "--corpus <dir>",
        "metrics on a labeled email corpus (a directory with manifest.jsonl, and config.yaml unless --config)",
      )
      .option("--stream", "with --corpus: also triage the messages in order into one scratch case memory")
      .option(
        "--out <dir>",
        "where --corpus writes its JSON and Markdown report",
        join(projectRoot, "evals", "results"),
      ),
  ).action(async (options: Options & { lab?: boolean; corpus?: string; stream?: boolean; out: string }) => {
    if (options.corpus) {
      const { emailEvalCommand } = await import("./cli-email-eval.ts");
      await emailEvalCommand(options.corpus, options, overrides);
      setExit(EXIT.ok);
      return;
    }
    if (options.stream) throw new TriageError("BAD_INPUT", "--stream goes with --corpus DIR");
    if (!options.lab) throw new TriageError("BAD_INPUT", "say what to evaluate: --lab or --corpus DIR");
    const [{ loadConfig }, { evaluateLab }] = await Promise.all([
      import("../agent/config.ts"),
      import("../evals/lab-eval.ts"),
    ]);
    const result = await evaluateLab(loadConfig(overrides(options)));
    if (options.json) {
      printJson(result);
    } else {
      const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
      print(`Offline engine on the lab (seed ${result.seed}), ground truth per family:`);
      print(
        renderTable(
          ["family", "alerts", "correct", "accuracy", "malicious caught", "benign called malicious"],
          result.families.map((f) => [
            f.family,
            String(f.n),
            String(f.correct),
            pct(f.accuracy),
            `${f.maliciousCaught}/${f.malicious}`,
            `${f.falseMalicious}/${f.benign}`,
          ]),
        ),
      );
      print(
        `total ${result.total.correct}/${result.total.n} = ${pct(result.total.accuracy)}; median ${result.medianMs.toFixed(1)} ms per alert`,
      );
      for (const e of result.errors.slice(0, 20))
        print(
          `  miss ${e.alertId} ${e.family}/${e.type}: expected ${e.expected}, got ${e.got} (${e.confidence.toFixed(2)})`,
        );
      for (const f of result.failures) print(`  FAILED ${f.alertId}: ${f.error}`);
    }
    setExit(result.failures.length ? EXIT.internal : EXIT.ok);
  });
}
