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
import type { CaseDatabase } from "./db.ts";

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

/** What the store needs of case memory: its transaction and its audit log. */
export interface CampaignAudit {
  transaction<T>(work: () => T): T;
  audit(entry: AuditEntry): void;
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

const SELECT_CAMPAIGN = `SELECT c.*, (SELECT COUNT(*) FROM campaign_members m WHERE m.campaign_id = c.id) AS size
  FROM campaigns c`;

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
  private readonly db: CaseDatabase;
  private readonly memory: CampaignAudit;
  private readonly now: () => Date;

  constructor(db: CaseDatabase, options: { memory: CampaignAudit; now: () => Date }) {
    this.db = db;
    this.memory = options.memory;
    this.now = options.now;
  }

  /** Reports sharing a key with `keys`, newest first; the join rule (agent side) decides which joins. */
  candidates(keys: readonly CampaignKey[]): CampaignCandidate[] {
    if (!keys.length) return [];
    const where = keys.map(() => "(k.kind = ? AND k.value = ?)").join(" OR ");
    return this.db
      .prepare(
        `SELECT DISTINCT m.case_id, m.campaign_id, m.fingerprint, c.outcome, m.joined_at
         FROM campaign_keys k JOIN campaign_members m ON m.case_id = k.case_id
         JOIN campaigns c ON c.id = m.campaign_id
         WHERE ${where} ORDER BY m.joined_at DESC LIMIT ${MAX_CANDIDATES}`,
      )
      .all(...keys.flat())
      .map((r) => candidateRowSchema.parse(r))
      .map((r) => ({
        caseId: r.case_id,
        campaignId: r.campaign_id,
        fingerprint: JSON.parse(r.fingerprint),
        outcome: r.outcome,
      }));
  }

  get(campaignId: string): Campaign {
    const row = this.db.prepare(`${SELECT_CAMPAIGN} WHERE c.id = ?`).get(campaignId);
    if (row === undefined) throw new TriageError("NOT_FOUND", `no campaign ${campaignId}`);
    return toCampaign(row);
  }

  /** The campaign a case is a report of, or null. */
  ofCase(caseId: string): Campaign | null {
    const row = this.db.prepare("SELECT campaign_id FROM campaign_members WHERE case_id = ?").get(caseId);
    if (row === undefined) return null;
    return this.get(z.object({ campaign_id: z.string() }).parse(row).campaign_id);
  }

  list(options: { limit?: number } = {}): Campaign[] {
    return this.db
      .prepare(`${SELECT_CAMPAIGN} ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?`)
      .all(options.limit ?? 50)
      .map(toCampaign);
  }

  members(campaignId: string): CampaignMemberRow[] {
    return this.db
      .prepare(
        "SELECT m.*, c.status FROM campaign_members m JOIN cases c ON c.id = m.case_id WHERE m.campaign_id = ? ORDER BY m.joined_at, m.rowid",
      )
      .all(campaignId)
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

  private insertMember(
    campaignId: string,
    caseId: string,
    entry: CampaignEntry,
    reporter: string | null,
    reason: string,
  ): void {
    this.db
      .prepare(
        "INSERT INTO campaign_members (case_id, campaign_id, reporter, reason, fingerprint, joined_at) VALUES (?, ?, ?, ?, ?, ?)",
      )
      .run(caseId, campaignId, reporter, reason, JSON.stringify(entry.fingerprint), this.now().toISOString());
    const insert = this.db.prepare(
      "INSERT OR IGNORE INTO campaign_keys (case_id, kind, value) VALUES (?, ?, ?)",
    );
    for (const [kind, value] of entry.keys) insert.run(caseId, kind, value);
    this.db
      .prepare("UPDATE campaigns SET updated_at = ? WHERE id = ?")
      .run(this.now().toISOString(), campaignId);
  }

  /** A new campaign whose first report is `caseId`. */
  create(caseId: string, entry: CampaignEntry, reporter: string | null): string {
    const id = `camp-${randomBytes(5).toString("hex")}`;
    const at = this.now().toISOString();
    this.memory.transaction(() => {
      this.db
        .prepare("INSERT INTO campaigns (id, first_case_id, created_at, updated_at) VALUES (?, ?, ?, ?)")
        .run(id, caseId, at, at);
      this.insertMember(id, caseId, entry, reporter, "first");
      this.memory.audit({ actor: "engine", event: "campaign.created", caseId, payload: { campaignId: id } });
    });
    return id;
  }

  /** Adds a report to a campaign; the caller's transaction commits it with the case. */
  attach(
    campaignId: string,
    caseId: string,
    entry: CampaignEntry,
    options: { reporter: string | null; reason: string; matched: string },
  ): void {
    this.memory.transaction(() => {
      this.insertMember(campaignId, caseId, entry, options.reporter, options.reason);
      this.memory.audit({
        actor: "engine",
        event: "campaign.joined",
        caseId,
        payload: { campaignId, reason: options.reason, matched: options.matched },
      });
    });
  }

  /** Sets the campaign's verdict (the first investigation, or a person's revision); returns its revision. */
  setVerdict(campaignId: string, verdict: Verdict, by: string): number {
    const campaign = this.get(campaignId);
    const revision = campaign.revision + 1;
    this.memory.transaction(() => {
      this.db
        .prepare(
          "UPDATE campaigns SET outcome = ?, verdict = ?, verdict_by = ?, revision = ?, updated_at = ? WHERE id = ?",
        )
        .run(outcomeOf(verdict), JSON.stringify(verdict), by, revision, this.now().toISOString(), campaignId);
      this.memory.audit({
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
      });
    });
    return revision;
  }

  /** Members whose reporter has not been told the current verdict. */
  unanswered(campaignId: string): CampaignMemberRow[] {
    const { revision, verdict } = this.get(campaignId);
    if (!verdict) return [];
    return this.members(campaignId).filter((m) => (m.answeredRevision ?? 0) < revision);
  }

  /** Keeps what the report of a case answered without the graph is built from, for `triage cases show`. */
  saveAnswered(caseId: string, report: unknown): void {
    this.db
      .prepare("UPDATE campaign_members SET report = ? WHERE case_id = ?")
      .run(JSON.stringify(report), caseId);
  }

  /** What saveAnswered kept for a case, or null. */
  answeredOf(caseId: string): unknown {
    const row = this.db.prepare("SELECT report FROM campaign_members WHERE case_id = ?").get(caseId);
    const report = row === undefined ? null : z.object({ report: z.string().nullable() }).parse(row).report;
    return report === null ? null : JSON.parse(report);
  }

  markAnswered(caseId: string, revision: number): void {
    this.db
      .prepare("UPDATE campaign_members SET answered_revision = ? WHERE case_id = ?")
      .run(revision, caseId);
  }

  private caseCampaign(caseId: string): string {
    const row = this.db.prepare("SELECT campaign_id FROM campaign_members WHERE case_id = ?").get(caseId);
    if (row === undefined) throw new TriageError("NOT_FOUND", `case ${caseId} is in no campaign`);
    return z.object({ campaign_id: z.string() }).parse(row).campaign_id;
  }

  /** A case id or a campaign id, as the CLI accepts either. */
  resolve(idOrCase: string): string {
    if (idOrCase.startsWith("camp-")) return this.get(idOrCase).id;
    return this.caseCampaign(idOrCase);
  }

  private applyMoves(moves: CampaignChange["moves"]): void {
    const move = this.db.prepare("UPDATE campaign_members SET campaign_id = ? WHERE case_id = ?");
    for (const m of moves) move.run(m.to, m.caseId);
  }

  private recordChange(
    kind: CampaignChange["kind"],
    moves: CampaignChange["moves"],
    by: string,
    reason: string,
    extra: Record<string, unknown> = {},
  ): CampaignChange {
    const id = `chg-${randomBytes(5).toString("hex")}`;
    this.db
      .prepare("INSERT INTO campaign_changes (id, kind, by, reason, moves, at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(id, kind, by, reason, JSON.stringify(moves), this.now().toISOString());
    this.memory.audit({
      actor: `analyst:${by}`,
      event: `campaign.${kind}`,
      caseId: moves[0]?.caseId ?? null,
      payload: { changeId: id, reason, moves, ...extra },
    });
    return { id, kind, moves };
  }

  /** Moves every report of `b`'s campaign into `a`'s (either may be a case id or a campaign id). */
  merge(a: string, b: string, options: { by: string; reason: string }): CampaignChange {
    if (!options.reason.trim()) throw new TriageError("BAD_INPUT", "a merge needs --reason");
    return this.memory.transaction(() => {
      const into = this.resolve(a);
      const from = this.resolve(b);
      if (into === from) throw new TriageError("BAD_INPUT", `${a} and ${b} are already one campaign`);
      const moves = this.members(from).map((m) => ({ caseId: m.caseId, from, to: into }));
      this.applyMoves(moves);
      return this.recordChange("merge", moves, options.by, options.reason, { into, from });
    });
  }

  /** Takes a report out of its campaign into a campaign of its own. */
  split(caseId: string, options: { by: string; reason: string }): CampaignChange {
    if (!options.reason.trim()) throw new TriageError("BAD_INPUT", "a split needs --reason");
    return this.memory.transaction(() => {
      const from = this.caseCampaign(caseId);
      const campaign = this.get(from);
      if (campaign.size === 1) throw new TriageError("BAD_INPUT", `case ${caseId} is alone in ${from}`);
      const to = `camp-${randomBytes(5).toString("hex")}`;
      const at = this.now().toISOString();
      // The split-off report keeps the verdict it was told until someone revises it.
      this.db
        .prepare(
          "INSERT INTO campaigns (id, first_case_id, outcome, verdict, verdict_by, revision, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
        )
        .run(
          to,
          caseId,
          campaign.outcome,
          campaign.verdict ? JSON.stringify(campaign.verdict) : null,
          campaign.verdictBy,
          at,
          at,
        );
      const moves = [{ caseId, from, to }];
      this.applyMoves(moves);
      // Its reporter was told revision N of the old campaign; in the new one that is revision 0.
      this.markAnswered(caseId, 0);
      return this.recordChange("split", moves, options.by, options.reason);
    });
  }

  /** Reverses a merge or split: every report goes back where it was. */
  undo(changeId: string, options: { by: string }): CampaignChange {
    return this.memory.transaction(() => {
      const row = this.db.prepare("SELECT * FROM campaign_changes WHERE id = ?").get(changeId);
      if (row === undefined) throw new TriageError("NOT_FOUND", `no campaign change ${changeId}`);
      const change = changeRowSchema.parse(row);
      if (change.kind === "undo") throw new TriageError("BAD_INPUT", `${changeId} is itself an undo`);
      if (change.undone_by)
        throw new TriageError("CONFLICT", `${changeId} was undone by ${change.undone_by}`);
      const moves = movesSchema
        .parse(JSON.parse(change.moves))
        .map((m) => ({ ...m, from: m.to, to: m.from }));
      for (const m of moves)
        if (this.caseCampaign(m.caseId) !== m.from)
          throw new TriageError(
            "CONFLICT",
            `case ${m.caseId} moved again since ${changeId}; undo that first`,
          );
      this.applyMoves(moves);
      const undo = this.recordChange("undo", moves, options.by, `undo ${changeId}`, { undoes: changeId });
      this.db.prepare("UPDATE campaign_changes SET undone_by = ? WHERE id = ?").run(undo.id, changeId);
      // A split's campaign is left empty by its undo: it goes, so lists show no campaign of size 0.
      if (change.kind === "split")
        for (const m of moves)
          this.db
            .prepare(
              "DELETE FROM campaigns WHERE id = ? AND NOT EXISTS (SELECT 1 FROM campaign_members WHERE campaign_id = ?)",
            )
            .run(m.from, m.from);
      return undo;
    });
  }
}
