/**
 * Recall: what case memory knows about an alert's observables. Related cases share a threat observable
 * with it (last 30 days, most shared first); history counts, per observable, the cases it was seen in and
 * how they were settled, and by whom.
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

const countRowSchema = z.object({ n: z.number() });
const relatedRowSchema = z.object({
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
const historyRowSchema = relatedRowSchema.pick({
  disposition: true,
  analyst: true,
  analyst_by: true,
  approved_by: true,
});

// Observables in personal roles name the people involved, not the threat (core/domain.ts personalRoles).
const PERSONAL_ROLES_SQL = personalRoles.map((role) => `'${role}'`).join(", ");
// Values seen in this many cases are background (our own domain, a popular site): not a link between cases.
const TOO_COMMON = 50;
const RECALL_DAYS = 30;
// Who settled a case: the latest analyst feedback, and the latest approval of its proposed actions.
const CONFIRMATION_COLUMNS = `
  (SELECT f.disposition FROM feedback f WHERE f.case_id = c.id ORDER BY f.seq DESC LIMIT 1) AS analyst,
  (SELECT f.by FROM feedback f WHERE f.case_id = c.id ORDER BY f.seq DESC LIMIT 1) AS analyst_by,
  (SELECT a.by FROM approvals a WHERE a.case_id = c.id AND a.approved = 1 ORDER BY a.seq DESC LIMIT 1) AS approved_by`;

/**
 * A case's disposition and who stands behind it. Feedback outranks everything; approving the containment
 * of a malicious verdict confirms it; otherwise it is the engine's word alone (confirmedBy null).
 */
function settled(row: z.infer<typeof historyRowSchema>): {
  disposition: Disposition | null;
  confirmedBy: string | null;
} {
  if (row.analyst) return { disposition: row.analyst, confirmedBy: row.analyst_by };
  if (row.disposition === "malicious" && row.approved_by)
    return { disposition: "malicious", confirmedBy: row.approved_by };
  return { disposition: row.disposition, confirmedBy: null };
}

type Key = Pick<Alert["observables"][number], "type" | "value">;

/** The alert's threat observables, lowercased and deduplicated, minus background values. */
async function usefulKeys(sql: SqlExecutor, caseId: string, alert: Alert): Promise<Key[]> {
  const threat = alert.observables.filter((o) => !isPersonalRole(o.role));
  const keys = [
    ...new Map(
      threat.map((o) => [
        `${o.type}\u0000${o.value.toLowerCase()}`,
        { type: o.type, value: o.value.toLowerCase() },
      ]),
    ).values(),
  ];
  const caseCount =
    "SELECT COUNT(*) AS n FROM (SELECT DISTINCT case_id FROM observables WHERE type = ? AND value = ? AND case_id <> ? LIMIT ?) AS seen";
  // Counted only up to one past the bound: a background value is in thousands of cases, and counting
  // them all made recall's p99 80 ms at 100,000 cases.
  const useful: Key[] = [];
  for (const k of keys) {
    const row = await sql.get(caseCount, [k.type, k.value, caseId, TOO_COMMON + 1]);
    if (countRowSchema.parse(row).n <= TOO_COMMON) useful.push(k);
  }
  return useful;
}

async function relatedCases(
  sql: SqlExecutor,
  caseId: string,
  alert: Alert,
  keys: Key[],
  since: string,
): Promise<RelatedCase[]> {
  const related = new Map<string, RelatedCase>();
  const relatedQuery = `SELECT c.id, c.alert_id, c.type, c.title, c.created_at, c.disposition, ${CONFIRMATION_COLUMNS}
     FROM observables o JOIN cases c ON c.id = o.case_id
     WHERE o.type = ? AND o.value = ? AND o.role NOT IN (${PERSONAL_ROLES_SQL}) AND c.id <> ? AND c.created_at >= ?
     ORDER BY c.created_at DESC LIMIT 50`;
  for (const k of keys) {
    for (const raw of await sql.all(relatedQuery, [k.type, k.value, caseId, since])) {
      const row = relatedRowSchema.parse(raw);
      const seen = related.get(row.id);
      const shared = { type: k.type, value: k.value };
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

async function observableHistory(
  sql: SqlExecutor,
  caseId: string,
  keys: Key[],
): Promise<ObservableHistory[]> {
  const historyQuery = `SELECT c.disposition, ${CONFIRMATION_COLUMNS}
     FROM (SELECT DISTINCT case_id FROM observables WHERE type = ? AND value = ? AND role NOT IN (${PERSONAL_ROLES_SQL}) AND case_id <> ?) o
     JOIN cases c ON c.id = o.case_id`;
  const history: ObservableHistory[] = [];
  for (const k of keys) {
    const rows = await sql.all(historyQuery, [k.type, k.value, caseId]);
    const cases = rows.map((r) => settled(historyRowSchema.parse(r)));
    if (!cases.length) continue;
    const confirmed = cases.filter((c) => c.confirmedBy !== null);
    history.push({
      type: k.type,
      value: k.value,
      seenInCases: cases.length,
      confirmedMalicious: confirmed.filter((c) => c.disposition === "malicious").length,
      confirmedBenign: confirmed.filter((c) => c.disposition === "benign").length,
      confirmedBy: [...new Set(confirmed.flatMap((c) => (c.confirmedBy ? [c.confirmedBy] : [])))],
      unconfirmedMalicious: cases.filter((c) => c.confirmedBy === null && c.disposition === "malicious")
        .length,
      listed: null,
    });
  }
  return history;
}

/** Related cases (at most 10) and per-observable history for `alert`, excluding case `caseId` itself. */
export async function recall(
  sql: SqlExecutor,
  now: Date,
  caseId: string,
  alert: Alert,
): Promise<{ related: RelatedCase[]; history: ObservableHistory[] }> {
  const since = new Date(now.getTime() - RECALL_DAYS * 86_400_000).toISOString();
  const keys = await usefulKeys(sql, caseId, alert);
  return {
    related: await relatedCases(sql, caseId, alert, keys, since),
    history: await observableHistory(sql, caseId, keys),
  };
}
