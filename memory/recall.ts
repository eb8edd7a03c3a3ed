/**
 * Recall: what case memory knows about an alert's observables. Related cases share a threat observable
 * with it (last 30 days, most shared first); history counts, per observable, the cases it was seen in and
 * how they were settled, and by whom.
 *
 * Two statements, both bounded whatever the size of memory: one probe per observable key, answered from
 * the covering index observables_recall alone (migration 9), and one read of the cases found, each case
 * once however many keys it shares.
 */
import { z } from "zod";
import {
  type Alert,
  type Disposition,
  type ObservableHistory,
  type RelatedCase,
  dispositionSchema,
  isPersonalRole,
  personalRoles,
} from "../core/domain.ts";
import type { SqlExecutor } from "./sql/driver.ts";

const keyCaseRowSchema = z.object({ case_id: z.string(), threat: z.number() });
const caseRowSchema = z.object({
  id: z.string(),
  alert_id: z.string(),
  type: z.string(),
  title: z.string(),
  created_at: z.string(),
  disposition: dispositionSchema.nullable(),
  analyst: dispositionSchema.nullable(),
  analyst_by: z.string().nullable(),
  approved_by: z.string().nullable(),
});
type CaseRow = z.infer<typeof caseRowSchema>;

// Observables in personal roles name the people involved, not the threat (core/domain.ts personalRoles).
const PERSONAL_ROLES_SQL = personalRoles.map((role) => `'${role}'`).join(", ");
// Values seen in this many cases are background (our own domain, a popular site): not a link between cases.
const TOO_COMMON = 50;
const RECALL_DAYS = 30;
// Case ids bound per read of the cases, in a few fixed counts (the last id repeated to fill one), so the
// SQL driver's statement cache (memory/sql/sqlite-driver.ts) holds three texts rather than one per count;
// the largest is far below either engine's limit on parameters.
const READ_SIZES = [16, 64, 256] as const;
const MAX_READ = 256;

/**
 * The statements recall runs, exported for the plan test (memory/recall.test.ts). keyCases: the other
 * cases holding one observable in any role, each once, with whether a threat role holds it there; read
 * in index order and cut one past the background bound, so a value in a million cases costs 51 index
 * entries. caseRows: the cases found, with who settled them (the latest analyst feedback, the latest
 * approval of their proposed actions), each looked up by case id (indexes feedback_case, approvals_case).
 */
export const recallStatements = {
  keyCases: `SELECT case_id, MAX(CASE WHEN role IN (${PERSONAL_ROLES_SQL}) THEN 0 ELSE 1 END) AS threat
     FROM observables WHERE type = ? AND value = ? AND case_id <> ?
     GROUP BY case_id LIMIT ?`,
  caseRows: (count: number): string =>
    `SELECT c.id, c.alert_id, c.type, c.title, c.created_at, c.disposition,
       (SELECT f.disposition FROM feedback f WHERE f.case_id = c.id ORDER BY f.seq DESC LIMIT 1) AS analyst,
       (SELECT f.by FROM feedback f WHERE f.case_id = c.id ORDER BY f.seq DESC LIMIT 1) AS analyst_by,
       (SELECT a.by FROM approvals a WHERE a.case_id = c.id AND a.approved = 1 ORDER BY a.seq DESC LIMIT 1) AS approved_by
     FROM cases c WHERE c.id IN (${Array.from({ length: count }, () => "?").join(", ")})`,
};

/**
 * A case's disposition and who stands behind it. Feedback outranks everything; approving the containment
 * of a malicious verdict confirms it; otherwise it is the engine's word alone (confirmedBy null).
 */
function settled(row: CaseRow): { disposition: Disposition | null; confirmedBy: string | null } {
  if (row.analyst) return { disposition: row.analyst, confirmedBy: row.analyst_by };
  if (row.disposition === "malicious" && row.approved_by)
    return { disposition: "malicious", confirmedBy: row.approved_by };
  return { disposition: row.disposition, confirmedBy: null };
}

type Key = Pick<Alert["observables"][number], "type" | "value">;

/** A useful key and the other cases holding it in a threat role. */
interface Linked {
  key: Key;
  caseIds: string[];
}

/**
 * The alert's threat observables, lowercased and deduplicated, each with the cases it links; background
 * values (in more than TOO_COMMON other cases, in any role) are dropped.
 */
async function linkedKeys(sql: SqlExecutor, caseId: string, alert: Alert): Promise<Linked[]> {
  const threat = alert.observables.filter((o) => !isPersonalRole(o.role));
  const keys = [
    ...new Map(
      threat.map((o) => [
        `${o.type}\u0000${o.value.toLowerCase()}`,
        { type: o.type, value: o.value.toLowerCase() },
      ]),
    ).values(),
  ];
  const linked: Linked[] = [];
  for (const key of keys) {
    const rows = (
      await sql.all(recallStatements.keyCases, [key.type, key.value, caseId, TOO_COMMON + 1])
    ).map((r) => keyCaseRowSchema.parse(r));
    if (rows.length > TOO_COMMON) continue;
    linked.push({ key, caseIds: rows.filter((r) => r.threat === 1).map((r) => r.case_id) });
  }
  return linked;
}

/** The cases `linked` names, by id, each read once. */
async function caseRows(sql: SqlExecutor, linked: Linked[]): Promise<Map<string, CaseRow>> {
  const ids = [...new Set(linked.flatMap((l) => l.caseIds))];
  const rows = new Map<string, CaseRow>();
  for (let start = 0; start < ids.length; start += MAX_READ) {
    const chunk = ids.slice(start, start + MAX_READ);
    const size = READ_SIZES.find((n) => n >= chunk.length) ?? MAX_READ;
    const last = chunk[chunk.length - 1] ?? "";
    const padded = [...chunk, ...Array.from({ length: size - chunk.length }, () => last)];
    for (const raw of await sql.all(recallStatements.caseRows(size), padded)) {
      const row = caseRowSchema.parse(raw);
      rows.set(row.id, row);
    }
  }
  return rows;
}

function relatedCases(
  alert: Alert,
  linked: Linked[],
  rows: Map<string, CaseRow>,
  since: string,
): RelatedCase[] {
  const related = new Map<string, RelatedCase>();
  for (const { key, caseIds } of linked) {
    const recent = caseIds
      .flatMap((id) => rows.get(id) ?? [])
      .filter((row) => row.created_at >= since)
      .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
    for (const row of recent) {
      const seen = related.get(row.id);
      const shared = { type: key.type, value: key.value };
      if (seen) seen.sharedObservables.push(shared);
      else {
        const { disposition, confirmedBy } = settled(row);
        related.set(row.id, {
          caseId: row.id,
          alertId: row.alert_id,
          alertType: row.type,
          title: row.title,
          createdAt: row.created_at,
          disposition: row.disposition,
          analystDisposition: confirmedBy ? disposition : null,
          confirmedBy,
          sharedObservables: [shared],
          duplicate: row.alert_id === alert.id,
        });
      }
    }
  }
  return [...related.values()]
    .sort(
      (a, b) =>
        b.sharedObservables.length - a.sharedObservables.length || (a.createdAt < b.createdAt ? 1 : -1),
    )
    .slice(0, 10);
}

function observableHistory(linked: Linked[], rows: Map<string, CaseRow>): ObservableHistory[] {
  return linked.flatMap(({ key, caseIds }) => {
    const cases = caseIds.flatMap((id) => {
      const row = rows.get(id);
      return row ? [settled(row)] : [];
    });
    if (!cases.length) return [];
    const confirmed = cases.filter((c) => c.confirmedBy !== null);
    return [
      {
        type: key.type,
        value: key.value,
        seenInCases: cases.length,
        confirmedMalicious: confirmed.filter((c) => c.disposition === "malicious").length,
        confirmedBenign: confirmed.filter((c) => c.disposition === "benign").length,
        confirmedBy: [...new Set(confirmed.flatMap((c) => (c.confirmedBy ? [c.confirmedBy] : [])))],
        unconfirmedMalicious: cases.filter((c) => c.confirmedBy === null && c.disposition === "malicious")
          .length,
        listed: null,
      },
    ];
  });
}

/** Related cases (at most 10) and per-observable history for `alert`, excluding case `caseId` itself. */
export async function recall(
  sql: SqlExecutor,
  now: Date,
  caseId: string,
  alert: Alert,
): Promise<{ related: RelatedCase[]; history: ObservableHistory[] }> {
  const since = new Date(now.getTime() - RECALL_DAYS * 86_400_000).toISOString();
  const linked = await linkedKeys(sql, caseId, alert);
  const rows = await caseRows(sql, linked);
  return {
    related: relatedCases(alert, linked, rows, since),
    history: observableHistory(linked, rows),
  };
}
