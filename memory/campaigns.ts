/**
 * Campaigns in case memory: which cases are reports of one attack, the campaign's verdict and its
 * revisions, and the merges and splits people make (audited, undoable). Lookups go through
 * campaign_keys, so the k-th report of a known campaign is found with a few indexed reads.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { TriageError } from "../core/errors.ts";
import { verdictSchema, type Verdict } from "../core/domain.ts";
import type { AuditEntry } from "../core/domain.ts";
import type { SqlExecutor } from "./sql/driver.ts";

export const campaignOutcomeSchema = z.enum(["phishing", "suspicious", "safe", "simulation"]);
export type CampaignOutcome = z.infer<typeof campaignOutcomeSchema>;

export interface Campaign {
  id: string;
  firstCaseId: string;
  size: number;
  outcome: CampaignOutcome | null;
  verdict: Verdict | null;
  /** Who the verdict is: "engine", or "person:NAME" after a revision. */
  verdictBy: string | null;
  revision: number;
  createdAt: string;
  updatedAt: string;
}

export interface CampaignMemberRow {
  caseId: string;
  campaignId: string;
  reporter: string | null;
  reason: string;
  answeredRevision: number | null;
  joinedAt: string;
  /** As the caller stored it (the fingerprint's JSON). */
  fingerprint: unknown;
  /** The case's status: a case still waiting for a person keeps waiting when the verdict is revised. */
  caseStatus: string;
}

/** A report already in a campaign that shares a lookup key with a new one; the join rule decides. */
export interface CampaignCandidate {
  caseId: string;
  campaignId: string;
  /** As the caller stored it (the fingerprint's JSON), for the caller to parse. */
  fingerprint: unknown;
  outcome: CampaignOutcome | null;
}

/** A lookup key: message_id, body_hash, payload (URL or sha256:HASH) or infra (domain or ip:IP). */
export type CampaignKey = readonly [kind: string, value: string];

/** What a report is stored with: the keys it is found by and the fingerprint the join rule reads. */
export interface CampaignEntry {
  keys: readonly CampaignKey[];
  fingerprint: unknown;
}

export interface CampaignChange {
  id: string;
  kind: "merge" | "split" | "undo";
  moves: Array<{ caseId: string; from: string; to: string }>;
}

/**
 * What the store needs of case memory's audit log: `append` is called inside the store's driver
 * transaction, and its rows must commit (or roll back) with that transaction.
 */
export interface CampaignAuditor {
  append(entries: readonly AuditEntry[]): Promise<void>;
}

const campaignRowSchema = z.object({
  id: z.string(),
  first_case_id: z.string(),
  outcome: campaignOutcomeSchema.nullable(),
  verdict: z.string().nullable(),
  verdict_by: z.string().nullable(),
  revision: z.number(),
  created_at: z.string(),
  updated_at: z.string(),
  size: z.number(),
});
const memberRowSchema = z.object({
  case_id: z.string(),
  campaign_id: z.string(),
  reporter: z.string().nullable(),
  reason: z.string(),
  answered_revision: z.number().nullable(),
  joined_at: z.string(),
  fingerprint: z.string(),
  status: z.string(),
});
const candidateRowSchema = z.object({
  joined_at: z.string(),
  case_id: z.string(),
  campaign_id: z.string(),
  fingerprint: z.string(),
  outcome: campaignOutcomeSchema.nullable(),
});
const movesSchema = z.array(z.object({ caseId: z.string(), from: z.string(), to: z.string() }));
const changeRowSchema = z.object({
  id: z.string(),
  kind: z.enum(["merge", "split", "undo"]),
  moves: z.string(),
  undone_by: z.string().nullable(),
});

// A member with thousands of keys (a free-mail sender's infrastructure) must not make a lookup scan them
// all: the newest members are the ones a new report most likely belongs with.
const MAX_CANDIDATES = 500;

const SELECT_CAMPAIGN = `SELECT c.id, c.first_case_id, c.outcome, c.verdict, c.verdict_by, c.revision, c.created_at,
  c.updated_at, (SELECT COUNT(*) FROM campaign_members m WHERE m.campaign_id = c.id) AS size
  FROM campaigns c`;

/**
 * Ties in time are broken by insertion order, SQLite's implicit rowid. PostgreSQL's campaign tables have
 * no such column: campaigns fall back to their creation time and id, members to their case's rowid (the
 * cases table has one on both engines), which follows the order the reports arrived.
 */
const ORDER = {
  campaigns: {
    sqlite: "c.updated_at DESC, c.rowid DESC",
    postgres: "c.updated_at DESC, c.created_at DESC, c.id DESC",
  },
  members: { sqlite: "m.joined_at, m.rowid", postgres: "m.joined_at, c.rowid" },
} as const;

const campaignIdSchema = z.object({ campaign_id: z.string() });

export function outcomeOf(verdict: Verdict): CampaignOutcome {
  if (verdict.category === "phishing_simulation") return "simulation";
  if (verdict.disposition === "malicious") return "phishing";
  return verdict.disposition === "benign" ? "safe" : "suspicious";
}

function toCampaign(row: unknown): Campaign {
  const r = campaignRowSchema.parse(row);
  return {
    id: r.id,
    firstCaseId: r.first_case_id,
    size: r.size,
    outcome: r.outcome,
    verdict: r.verdict === null ? null : verdictSchema.parse(JSON.parse(r.verdict)),
    verdictBy: r.verdict_by,
    revision: r.revision,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class CampaignStore {
  private readonly sql: SqlExecutor;
  private readonly auditor: CampaignAuditor;
  private readonly now: () => Date;

  /** `sql` is the case database's driver (SQLite or PostgreSQL); `auditor` appends in its transactions. */
  constructor(sql: SqlExecutor, options: { auditor: CampaignAuditor; now: () => Date }) {
    this.sql = sql;
    this.auditor = options.auditor;
    this.now = options.now;
  }

  /** Reports sharing a key with `keys`, newest first; the join rule (agent side) decides which joins. */
  async candidates(keys: readonly CampaignKey[]): Promise<CampaignCandidate[]> {
    if (!keys.length) return [];
    const where = keys.map(() => "(k.kind = ? AND k.value = ?)").join(" OR ");
    const rows = await this.sql.all(
      `SELECT DISTINCT m.case_id, m.campaign_id, m.fingerprint, c.outcome, m.joined_at
       FROM campaign_keys k JOIN campaign_members m ON m.case_id = k.case_id
       JOIN campaigns c ON c.id = m.campaign_id
       WHERE ${where} ORDER BY m.joined_at DESC LIMIT ${MAX_CANDIDATES}`,
      keys.flat(),
    );
    return rows
      .map((r) => candidateRowSchema.parse(r))
      .map((r) => ({
        caseId: r.case_id,
        campaignId: r.campaign_id,
        fingerprint: JSON.parse(r.fingerprint),
        outcome: r.outcome,
      }));
  }

  async get(campaignId: string): Promise<Campaign> {
    const row = await this.sql.get(`${SELECT_CAMPAIGN} WHERE c.id = ?`, [campaignId]);
    if (row === undefined) throw new TriageError("NOT_FOUND", `no campaign ${campaignId}`);
    return toCampaign(row);
  }

  /** The campaign a case is a report of, or null. */
  async ofCase(caseId: string): Promise<Campaign | null> {
    const row = await this.sql.get("SELECT campaign_id FROM campaign_members WHERE case_id = ?", [caseId]);
    if (row === undefined) return null;
    return this.get(campaignIdSchema.parse(row).campaign_id);
  }

  async list(options: { limit?: number } = {}): Promise<Campaign[]> {
    const rows = await this.sql.all(
      `${SELECT_CAMPAIGN} ORDER BY ${ORDER.campaigns[this.sql.dialect]} LIMIT ?`,
      [options.limit ?? 50],
    );
    return rows.map(toCampaign);
  }

  async members(campaignId: string): Promise<CampaignMemberRow[]> {
    const rows = await this.sql.all(
      `SELECT m.case_id, m.campaign_id, m.reporter, m.reason, m.answered_revision, m.joined_at, m.fingerprint,
         c.status
       FROM campaign_members m JOIN cases c ON c.id = m.case_id
       WHERE m.campaign_id = ? ORDER BY ${ORDER.members[this.sql.dialect]}`,
      [campaignId],
    );
    return rows
      .map((r) => memberRowSchema.parse(r))
      .map((r) => ({
        caseId: r.case_id,
        campaignId: r.campaign_id,
        reporter: r.reporter,
        reason: r.reason,
        answeredRevision: r.answered_revision,
        joinedAt: r.joined_at,
        fingerprint: JSON.parse(r.fingerprint),
        caseStatus: r.status,
      }));
  }

  private async insertMember(
    tx: SqlExecutor,
    campaignId: string,
    caseId: string,
    entry: CampaignEntry,
    reporter: string | null,
    reason: string,
  ): Promise<void> {
    await tx.run(
      "INSERT INTO campaign_members (case_id, campaign_id, reporter, reason, fingerprint, joined_at) VALUES (?, ?, ?, ?, ?, ?)",
      [caseId, campaignId, reporter, reason, JSON.stringify(entry.fingerprint), this.now().toISOString()],
    );
    for (const [kind, value] of entry.keys)
      await tx.run(
        "INSERT INTO campaign_keys (case_id, kind, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        [caseId, kind, value],
      );
    await tx.run("UPDATE campaigns SET updated_at = ? WHERE id = ?", [this.now().toISOString(), campaignId]);
  }

  /** A new campaign whose first report is `caseId`. */
  async create(caseId: string, entry: CampaignEntry, reporter: string | null): Promise<string> {
    const id = `camp-${randomBytes(5).toString("hex")}`;
    const at = this.now().toISOString();
    await this.sql.transaction(async (tx) => {
      await tx.run("INSERT INTO campaigns (id, first_case_id, created_at, updated_at) VALUES (?, ?, ?, ?)", [
        id,
        caseId,
        at,
        at,
      ]);
      await this.insertMember(tx, id, caseId, entry, reporter, "first");
      await this.auditor.append([
        { actor: "engine", event: "campaign.created", caseId, payload: { campaignId: id } },
      ]);
    });
    return id;
  }

  /** Adds a report to a campaign, with its audit row. */
  async attach(
    campaignId: string,
    caseId: string,
    entry: CampaignEntry,
    options: { reporter: string | null; reason: string; matched: string },
  ): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await this.insertMember(tx, campaignId, caseId, entry, options.reporter, options.reason);
      await this.auditor.append([
        {
          actor: "engine",
          event: "campaign.joined",
          caseId,
          payload: { campaignId, reason: options.reason, matched: options.matched },
        },
      ]);
    });
  }

  /** Sets the campaign's verdict (the first investigation, or a person's revision); returns its revision. */
  async setVerdict(campaignId: string, verdict: Verdict, by: string): Promise<number> {
    // Read and written in one transaction: two revisions at once each get their own number.
    return this.sql.transaction(async (tx) => {
      const campaign = await this.get(campaignId);
      const revision = campaign.revision + 1;
      await tx.run(
        "UPDATE campaigns SET outcome = ?, verdict = ?, verdict_by = ?, revision = ?, updated_at = ? WHERE id = ?",
        [outcomeOf(verdict), JSON.stringify(verdict), by, revision, this.now().toISOString(), campaignId],
      );
      await this.auditor.append([
        {
          actor: by,
          event: campaign.verdict ? "campaign.revised" : "campaign.verdict",
          caseId: campaign.firstCaseId,
          payload: {
            campaignId,
            revision,
            disposition: verdict.disposition,
            category: verdict.category,
            from: campaign.verdict?.disposition ?? null,
          },
        },
      ]);
      return revision;
    });
  }

  /** Members whose reporter has not been told the current verdict. */
  async unanswered(campaignId: string): Promise<CampaignMemberRow[]> {
    const { revision, verdict } = await this.get(campaignId);
    if (!verdict) return [];
    return (await this.members(campaignId)).filter((m) => (m.answeredRevision ?? 0) < revision);
  }

  /** Keeps what the report of a case answered without the graph is built from, for `triage cases show`. */
  async saveAnswered(caseId: string, report: unknown): Promise<void> {
    await this.sql.run("UPDATE campaign_members SET report = ? WHERE case_id = ?", [
      JSON.stringify(report),
      caseId,
    ]);
  }

  /** What saveAnswered kept for a case, or null. */
  async answeredOf(caseId: string): Promise<unknown> {
    const row = await this.sql.get("SELECT report FROM campaign_members WHERE case_id = ?", [caseId]);
    const report = row === undefined ? null : z.object({ report: z.string().nullable() }).parse(row).report;
    return report === null ? null : JSON.parse(report);
  }

  async markAnswered(caseId: string, revision: number): Promise<void> {
    await this.sql.run("UPDATE campaign_members SET answered_revision = ? WHERE case_id = ?", [
      revision,
      caseId,
    ]);
  }

  private async caseCampaign(caseId: string): Promise<string> {
    const row = await this.sql.get("SELECT campaign_id FROM campaign_members WHERE case_id = ?", [caseId]);
    if (row === undefined) throw new TriageError("NOT_FOUND", `case ${caseId} is in no campaign`);
    return campaignIdSchema.parse(row).campaign_id;
  }

  /** A case id or a campaign id, as the CLI accepts either. */
  async resolve(idOrCase: string): Promise<string> {
    if (idOrCase.startsWith("camp-")) return (await this.get(idOrCase)).id;
    return this.caseCampaign(idOrCase);
  }

  private async applyMoves(tx: SqlExecutor, moves: CampaignChange["moves"]): Promise<void> {
    for (const m of moves)
      await tx.run("UPDATE campaign_members SET campaign_id = ? WHERE case_id = ?", [m.to, m.caseId]);
  }

  private async recordChange(
    tx: SqlExecutor,
    kind: CampaignChange["kind"],
    moves: CampaignChange["moves"],
    by: string,
    reason: string,
    extra: Record<string, unknown> = {},
  ): Promise<CampaignChange> {
    const id = `chg-${randomBytes(5).toString("hex")}`;
    await tx.run("INSERT INTO campaign_changes (id, kind, by, reason, moves, at) VALUES (?, ?, ?, ?, ?, ?)", [
      id,
      kind,
      by,
      reason,
      JSON.stringify(moves),
      this.now().toISOString(),
    ]);
    await this.auditor.append([
      {
        actor: `analyst:${by}`,
        event: `campaign.${kind}`,
        caseId: moves[0]?.caseId ?? null,
        payload: { changeId: id, reason, moves, ...extra },
      },
    ]);
    return { id, kind, moves };
  }

  /** Moves every report of `b`'s campaign into `a`'s (either may be a case id or a campaign id). */
  async merge(a: string, b: string, options: { by: string; reason: string }): Promise<CampaignChange> {
    if (!options.reason.trim()) throw new TriageError("BAD_INPUT", "a merge needs --reason");
    return this.sql.transaction(async (tx) => {
      const into = await this.resolve(a);
      const from = await this.resolve(b);
      if (into === from) throw new TriageError("BAD_INPUT", `${a} and ${b} are already one campaign`);
      const moves = (await this.members(from)).map((m) => ({ caseId: m.caseId, from, to: into }));
      await this.applyMoves(tx, moves);
      return this.recordChange(tx, "merge", moves, options.by, options.reason, { into, from });
    });
  }

  /** Takes a report out of its campaign into a campaign of its own. */
  async split(caseId: string, options: { by: string; reason: string }): Promise<CampaignChange> {
    if (!options.reason.trim()) throw new TriageError("BAD_INPUT", "a split needs --reason");
    return this.sql.transaction(async (tx) => {
      const from = await this.caseCampaign(caseId);
      const campaign = await this.get(from);
      if (campaign.size === 1) throw new TriageError("BAD_INPUT", `case ${caseId} is alone in ${from}`);
      const to = `camp-${randomBytes(5).toString("hex")}`;
      const at = this.now().toISOString();
      // The split-off report keeps the verdict it was told until someone revises it.
      await tx.run(
        "INSERT INTO campaigns (id, first_case_id, outcome, verdict, verdict_by, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
        [
          to,
          caseId,
          campaign.outcome,
          campaign.verdict ? JSON.stringify(campaign.verdict) : null,
          campaign.verdictBy,
          at,
          at,
        ],
      );
      const moves = [{ caseId, from, to }];
      await this.applyMoves(tx, moves);
      // Its reporter was told revision N of the old campaign; in the new one that is revision 0.
      await this.markAnswered(caseId, 0);
      return this.recordChange(tx, "split", moves, options.by, options.reason);
    });
  }

  /** Reverses a merge or split: every report goes back where it was. */
  async undo(changeId: string, options: { by: string }): Promise<CampaignChange> {
    return this.sql.transaction(async (tx) => {
      const row = await tx.get("SELECT id, kind, moves, undone_by FROM campaign_changes WHERE id = ?", [
        changeId,
      ]);
      if (row === undefined) throw new TriageError("NOT_FOUND", `no campaign change ${changeId}`);
      const change = changeRowSchema.parse(row);
      if (change.kind === "undo") throw new TriageError("BAD_INPUT", `${changeId} is itself an undo`);
      if (change.undone_by)
        throw new TriageError("CONFLICT", `${changeId} was undone by ${change.undone_by}`);
      const moves = movesSchema
        .parse(JSON.parse(change.moves))
        .map((m) => ({ ...m, from: m.to, to: m.from }));
      for (const m of moves)
        if ((await this.caseCampaign(m.caseId)) !== m.from)
          throw new TriageError(
            "CONFLICT",
            `case ${m.caseId} moved again since ${changeId}; undo that first`,
          );
      await this.applyMoves(tx, moves);
      const undo = await this.recordChange(tx, "undo", moves, options.by, `undo ${changeId}`, {
        undoes: changeId,
      });
      await tx.run("UPDATE campaign_changes SET undone_by = ? WHERE id = ?", [undo.id, changeId]);
      // A split's campaign is left empty by its undo: it goes, so lists show no campaign of size 0.
      if (change.kind === "split")
        for (const m of moves)
          await tx.run(
            "DELETE FROM campaigns WHERE id = ? AND NOT EXISTS (SELECT 1 FROM campaign_members WHERE campaign_id = ?)",
            [m.from, m.from],
          );
      return undo;
    });
  }
}
