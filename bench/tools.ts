/**
 * Tool calls and wall time per alert when every tool answers at a vendor-like delay, with the calls of a
 * round run one after another (toolConcurrency 1) and in parallel (the default). Two setups:
 * - the lab's ports, each call delayed, over a sample of lab alerts from every family;
 * - real vendor adapters over HTTP to their fake servers (bench/vendor-fakes.ts), each request delayed.
 */
import { join } from "node:path";
import { loadConfig, type TriageConfig } from "../agent/config.ts";
import { runTriage } from "../agent/run-triage.ts";
import { openRuntime, type RuntimeOptions } from "../agent/setup.ts";
import { renderTable } from "../apps/render.ts";
import { quantile } from "../evals/stats.ts";
import type { Toolset } from "../core/ports.ts";

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Every read-only port of a toolset, each call answering after `ms`. */
export function delayedTools(tools: Toolset, ms: number): Toolset {
  const slow =
    <A extends unknown[], R>(run: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      await wait(ms);
      return run(...args);
    };
  return {
    ...tools,
    // Spread: keeps the port's capabilities (simulated, speaksFor) along with its vendor name.
    siem: { ...tools.siem, searchEvents: slow((q, o) => tools.siem.searchEvents(q, o)) },
    edr: {
      vendor: tools.edr.vendor,
      getHost: slow((h, o) => tools.edr.getHost(h, o)),
      getProcessTree: slow((h, p, o) => tools.edr.getProcessTree(h, p, o)),
      listDetections: slow((q, o) => tools.edr.listDetections(q, o)),
    },
    mail: {
      vendor: tools.mail.vendor,
      findMessages: slow((q, o) => tools.mail.findMessages(q, o)),
      getRawMessage: slow((m, i, o) => tools.mail.getRawMessage(m, i, o)),
      listInboxRules: slow((m, o) => tools.mail.listInboxRules(m, o)),
    },
    identity: {
      vendor: tools.identity.vendor,
      getUser: slow((u, o) => tools.identity.getUser(u, o)),
      listSignIns: slow((q, o) => tools.identity.listSignIns(q, o)),
    },
    intel: { vendor: tools.intel.vendor, lookup: slow((x, o) => tools.intel.lookup(x, o)) },
  };
}

export interface ToolBenchRow {
  setup: string;
  mode: "sequential" | "parallel";
  alerts: number;
  toolCallsPerAlert: number;
  medianMs: number;
  p90Ms: number;
}

/** Triages each alert once with the given tool concurrency; per-alert wall time and tool calls. */
export async function timeTriage(
  config: TriageConfig,
  alertIds: readonly string[],
  toolConcurrency: number,
  options: RuntimeOptions,
): Promise<{ times: number[]; calls: number[] }> {
  const opened = await openRuntime(
    { ...config, budget: { ...config.budget, toolConcurrency } },
    {
      checkpointer: false,
      ...options,
    },
  );
  try {
    const times: number[] = [];
    const calls: number[] = [];
    for (const id of alertIds) {
      const started = performance.now();
      const outcome = await runTriage(opened.runtime, id, { dryRun: true });
      times.push(performance.now() - started);
      calls.push(outcome.report.steps.length);
    }
    return { times: times.sort((a, b) => a - b), calls };
  } finally {
    await opened.close();
  }
}

export function toolBenchRow(
  setup: string,
  mode: ToolBenchRow["mode"],
  run: { times: number[]; calls: number[] },
): ToolBenchRow {
  return {
    setup,
    mode,
    alerts: run.times.length,
    toolCallsPerAlert: run.calls.reduce((a, b) => a + b, 0) / Math.max(run.calls.length, 1),
    medianMs: quantile(run.times, 0.5),
    p90Ms: quantile(run.times, 0.9),
  };
}

export function renderToolBench(rows: readonly ToolBenchRow[], delayMs: number): string[] {
  const lines = [`Tool calls and wall time per alert, every tool call answering after ${delayMs} ms`];
  lines.push(
    renderTable(
      ["setup", "tool calls", "alerts", "calls/alert", "median ms", "p90 ms"],
      rows.map((r) => [
        r.setup,
        r.mode,
        String(r.alerts),
        r.toolCallsPerAlert.toFixed(1),
        r.medianMs.toFixed(0),
        r.p90Ms.toFixed(0),
      ]),
    ),
  );
  for (const setup of new Set(rows.map((r) => r.setup))) {
    const seq = rows.find((r) => r.setup === setup && r.mode === "sequential");
    const par = rows.find((r) => r.setup === setup && r.mode === "parallel");
    if (seq && par)
      lines.push(`${setup}: parallel median ×${(par.medianMs / seq.medianMs).toFixed(2)} of sequential`);
  }
  return lines;
}

/** The lab setup: a sample of `perFamily` alerts of each family, every port call delayed. */
export async function benchLabTools(
  scratch: string,
  labDb: string,
  delayMs: number,
  perFamily: number,
): Promise<ToolBenchRow[]> {
  const config = loadConfig({ db: join(scratch, "tools-lab.db"), labDb });
  const probe = await openRuntime(config, { checkpointer: false });
  const all = await probe.runtime.deps.tools.alerts.listAlerts({ limit: 100_000 });
  await probe.close();
  const ids = ["email", "identity", "endpoint", "network"].flatMap((family) =>
    all
      .filter((a) => a.family === family)
      .slice(0, perFamily)
      .map((a) => a.id),
  );
  const rows: ToolBenchRow[] = [];
  for (const [mode, concurrency] of [
    ["sequential", 1],
    ["parallel", config.budget.toolConcurrency],
  ] as const) {
    const run = await timeTriage(
      { ...config, databasePath: join(scratch, `tools-lab-${mode}.db`) },
      ids,
      concurrency,
      {
        wrapTools: (tools) => delayedTools(tools, delayMs),
      },
    );
    rows.push(toolBenchRow("lab ports", mode, run));
  }
  return rows;
}
