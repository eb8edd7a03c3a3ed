/** Human-readable output of the CLI. */
import type { TriageReport } from "../agent/report.ts";
import { escapeControl } from "./terminal-text.ts";

function args(value: Record<string, unknown>): string {
  const text = Object.entries(value)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

const pct = (n: number) => `${Math.round(n * 100)}%`;

export function renderReport(report: TriageReport): string {
  const { verdict, alert } = report;
  const lines: string[] = [];
  lines.push(
    `Case ${report.caseId}  alert ${alert.id}  ${alert.family}/${alert.type}  [${report.status}${report.dryRun ? ", dry run" : ""}]`,
  );
  lines.push(`  ${alert.title}`);
  lines.push("");
  lines.push(
    `Verdict: ${verdict.disposition.toUpperCase()}  confidence ${pct(verdict.confidence)}  severity ${verdict.severity}  ${verdict.category}` +
      (verdict.attack.length ? `  ATT&CK ${verdict.attack.join(", ")}` : ""),
  );
  lines.push(`  ${verdict.summary}`);
  if (verdict.incomplete)
    lines.push(
      `  INCOMPLETE: could not use ${verdict.incomplete.failedTools.join(", ")}; do not read this as benign.`,
    );
  if (verdict.model) {
    lines.push(
      `  Reasoner ${verdict.reasoner}: ${verdict.model.calls} model call(s), ${verdict.model.promptTokens} prompt + ${verdict.model.completionTokens} completion tokens`,
    );
  }
  if (verdict.rationale.length) {
    lines.push("", "Why:");
    for (const reason of verdict.rationale) lines.push(`  - ${reason}`);
  }
  const cited = report.evidence.filter((e) => e.cited);
  if (cited.length) {
    lines.push("", "Evidence:");
    for (const e of cited.slice(0, 12)) lines.push(`  [${e.id}] ${e.tool}: ${e.summary}`);
  }
  if (report.related.length) {
    lines.push("", "Related cases:");
    for (const r of report.related.slice(0, 5))
      lines.push(
        `  ${r.caseId} (${r.alertId}) ${r.disposition ? `${r.disposition}, ${r.standing}` : "open"}${r.duplicate ? " duplicate" : ""}: ${r.shared.slice(0, 3).join(", ")}`,
      );
  }
  const rounds = new Set(report.steps.map((s) => s.round)).size;
  lines.push("", `Investigation: ${report.steps.length} tool calls in ${rounds} rounds`);
  for (const [i, s] of report.steps.entries()) {
    lines.push(`  ${String(i + 1).padStart(2)}. ${s.tool} ${args(s.args)}`);
    lines.push(`      → ${s.ok ? "" : "FAILED "}${s.summary} (${s.durationMs} ms) [${s.evidenceId}]`);
  }
  lines.push("", "Actions:");
  if (report.actions.length === 0) lines.push("  none proposed");
  for (const a of report.actions) {
    lines.push(`  ${a.id} ${a.type} ${a.target}${a.blastRadius > 1 ? ` (${a.blastRadius} targets)` : ""}`);
    lines.push(
      `      policy: ${a.decision} (rule ${a.rule})  status: ${a.status}${a.detail ? `  ${a.detail}` : ""}`,
    );
  }
  if (report.status === "awaiting_approval") {
    lines.push("", `Waiting for approval: triage approve ${report.caseId} [--deny] --by <name>`);
  }
  if (report.approval) {
    lines.push(
      "",
      `${report.approval.approved ? "Approved" : "Denied"} by ${report.approval.by} at ${report.approval.at}`,
    );
  }
  if (report.notes.length) {
    lines.push("", "Notes:");
    for (const note of report.notes) lines.push(`  - ${note}`);
  }
  // Every line holds untrusted text (titles, subjects, URLs, summaries): escaped whole, a value's own CR or
  // LF cannot start a line that looks like ours.
  return lines.map((line) => escapeControl(line)).join("\n");
}

/** A plain text table. */
export function renderTable(rawHeaders: string[], rawRows: string[][]): string {
  const headers = rawHeaders.map((h) => escapeControl(h));
  const rows = rawRows.map((r) => r.map((c) => escapeControl(c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
