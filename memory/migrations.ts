/**
 * Case memory schema, one migration per step, applied in order and recorded in schema_migrations. Never
 * edit a shipped migration: add the next one. (LangGraph's saver adds its own checkpoint tables to the
 * same database.) A migration is one text for both engines, or one per engine where SQLite's dialect
 * differs: AUTOINCREMENT, REAL (PostgreSQL's is single precision), triggers, the implicit rowid.
 */
import type { SqlDialect } from "./sql/driver.ts";

export interface Migration {
  version: number;
  name: string;
  sql: string | Readonly<Record<SqlDialect, string>>;
}

/** The statements of `migration` for one engine. */
export function migrationSql(migration: Migration, dialect: SqlDialect): string {
  return typeof migration.sql === "string" ? migration.sql : migration.sql[dialect];
}

/**
 * Migration 10's statements for an engine whose binary type is `binary`. The final report of a closed case
 * is deflated JSON (memory/packing.ts): what `triage cases show` reads once the case's LangGraph
 * checkpoints are gone. Tool output, verdicts and alerts above a few hundred bytes are deflated JSON in a
 * `packed` column (their text column then ''): SIEM rows were most of a case.
 */
function packedColumns(binary: "BLOB" | "BYTEA"): string {
  return `
CREATE TABLE case_reports (case_id TEXT PRIMARY KEY REFERENCES cases(id), report ${binary} NOT NULL);
ALTER TABLE evidence ADD COLUMN packed ${binary};
ALTER TABLE verdicts ADD COLUMN packed ${binary};
ALTER TABLE alerts ADD COLUMN packed ${binary};
`;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "cases, evidence, verdicts, actions, audit log",
    sql: {
      sqlite: `
CREATE TABLE cases (
  id TEXT PRIMARY KEY,
  alert_id TEXT NOT NULL,
  alert_source TEXT NOT NULL,
  family TEXT NOT NULL,
  type TEXT NOT NULL,
  title TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('investigating','awaiting_approval','closed','failed')),
  reasoner TEXT NOT NULL,
  error TEXT,
  disposition TEXT,
  confidence REAL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX cases_alert ON cases(alert_source, alert_id);
CREATE INDEX cases_created ON cases(created_at);

CREATE TABLE alerts (case_id TEXT PRIMARY KEY REFERENCES cases(id), doc TEXT NOT NULL);

CREATE TABLE observables (
  case_id TEXT NOT NULL REFERENCES cases(id),
  type TEXT NOT NULL,
  value TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (case_id, type, value, role)
);
CREATE INDEX observables_lookup ON observables(type, value);

CREATE TABLE evidence (
  case_id TEXT NOT NULL REFERENCES cases(id),
  id TEXT NOT NULL,
  tool TEXT NOT NULL,
  args TEXT NOT NULL,
  summary TEXT NOT NULL,
  data TEXT NOT NULL,
  collected_at TEXT NOT NULL,
  PRIMARY KEY (case_id, id)
);

CREATE TABLE steps (
  case_id TEXT NOT NULL REFERENCES cases(id),
  seq INTEGER NOT NULL,
  round INTEGER NOT NULL,
  tool TEXT NOT NULL,
  args TEXT NOT NULL,
  evidence_id TEXT NOT NULL,
  ok INTEGER NOT NULL,
  summary TEXT NOT NULL,
  duration_ms REAL NOT NULL,
  PRIMARY KEY (case_id, seq)
);

CREATE TABLE verdicts (case_id TEXT PRIMARY KEY REFERENCES cases(id), doc TEXT NOT NULL, findings TEXT NOT NULL, at TEXT NOT NULL);

CREATE TABLE actions (
  case_id TEXT NOT NULL REFERENCES cases(id),
  action_id TEXT NOT NULL,
  type TEXT NOT NULL,
  target TEXT NOT NULL,
  doc TEXT NOT NULL,
  decision TEXT,
  rule TEXT,
  reason TEXT,
  approvers TEXT,
  PRIMARY KEY (case_id, action_id)
);

CREATE TABLE approvals (
  case_id TEXT NOT NULL REFERENCES cases(id),
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  approved INTEGER NOT NULL,
  by TEXT NOT NULL,
  action_ids TEXT NOT NULL,
  comment TEXT NOT NULL,
  at TEXT NOT NULL
);

-- One row per idempotency key: the claim that makes every action run at most once, across processes.
CREATE TABLE action_runs (
  idempotency_key TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id),
  action_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('started','executed','dry_run','denied','failed','pending_approval')),
  detail TEXT NOT NULL DEFAULT '',
  started_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX action_runs_case ON action_runs(case_id);

CREATE TABLE feedback (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  case_id TEXT NOT NULL REFERENCES cases(id),
  disposition TEXT NOT NULL,
  by TEXT NOT NULL,
  comment TEXT NOT NULL,
  at TEXT NOT NULL
);

CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  event TEXT NOT NULL,
  case_id TEXT,
  payload TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_log_case ON audit_log(case_id);
-- Append-only: the database itself refuses to change or remove an entry.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
`,
      postgres: `
CREATE TABLE cases (
  id TEXT PRIMARY KEY,
  -- SQLite's implicit rowid, which orders cases created in the same millisecond.
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  alert_id TEXT NOT NULL,
  alert_source TEXT NOT NULL,
  family TEXT NOT NULL,
  type TEXT NOT NULL,
  title TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('investigating','awaiting_approval','closed','failed')),
  reasoner TEXT NOT NULL,
  error TEXT,
  disposition TEXT,
  confidence DOUBLE PRECISION,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX cases_alert ON cases(alert_source, alert_id);
CREATE INDEX cases_created ON cases(created_at);

CREATE TABLE alerts (case_id TEXT PRIMARY KEY REFERENCES cases(id), doc TEXT NOT NULL);

CREATE TABLE observables (
  case_id TEXT NOT NULL REFERENCES cases(id),
  type TEXT NOT NULL,
  value TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (case_id, type, value, role)
);
CREATE INDEX observables_lookup ON observables(type, value);

CREATE TABLE evidence (
  case_id TEXT NOT NULL REFERENCES cases(id),
  id TEXT NOT NULL,
  tool TEXT NOT NULL,
  args TEXT NOT NULL,
  summary TEXT NOT NULL,
  data TEXT NOT NULL,
  collected_at TEXT NOT NULL,
  PRIMARY KEY (case_id, id)
);

CREATE TABLE steps (
  case_id TEXT NOT NULL REFERENCES cases(id),
  seq INTEGER NOT NULL,
  round INTEGER NOT NULL,
  tool TEXT NOT NULL,
  args TEXT NOT NULL,
  evidence_id TEXT NOT NULL,
  ok INTEGER NOT NULL,
  summary TEXT NOT NULL,
  duration_ms DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (case_id, seq)
);

CREATE TABLE verdicts (case_id TEXT PRIMARY KEY REFERENCES cases(id), doc TEXT NOT NULL, findings TEXT NOT NULL, at TEXT NOT NULL);

CREATE TABLE actions (
  case_id TEXT NOT NULL REFERENCES cases(id),
  action_id TEXT NOT NULL,
  type TEXT NOT NULL,
  target TEXT NOT NULL,
  doc TEXT NOT NULL,
  decision TEXT,
  rule TEXT,
  reason TEXT,
  approvers TEXT,
  PRIMARY KEY (case_id, action_id)
);

CREATE TABLE approvals (
  case_id TEXT NOT NULL REFERENCES cases(id),
  seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  approved INTEGER NOT NULL,
  by TEXT NOT NULL,
  action_ids TEXT NOT NULL,
  comment TEXT NOT NULL,
  at TEXT NOT NULL
);

-- One row per idempotency key: the claim that makes every action run at most once, across processes.
CREATE TABLE action_runs (
  idempotency_key TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id),
  action_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('started','executed','dry_run','denied','failed','pending_approval')),
  detail TEXT NOT NULL DEFAULT '',
  started_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX action_runs_case ON action_runs(case_id);

CREATE TABLE feedback (
  seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id),
  disposition TEXT NOT NULL,
  by TEXT NOT NULL,
  comment TEXT NOT NULL,
  at TEXT NOT NULL
);

CREATE TABLE audit_log (
  seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  event TEXT NOT NULL,
  case_id TEXT,
  payload TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_log_case ON audit_log(case_id);
-- Append-only: the database itself refuses to change or remove an entry.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
`,
    },
  },
  {
    version: 2,
    name: "batch claims",
    sql: `
-- One row per alert a batch has taken: the first process to insert it owns it, so two batches over one
-- database never triage an alert twice.
CREATE TABLE batch_claims (
  alert_source TEXT NOT NULL,
  alert_id TEXT NOT NULL,
  worker TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running','done','failed')),
  case_id TEXT,
  error TEXT,
  claimed_at TEXT NOT NULL,
  finished_at TEXT,
  PRIMARY KEY (alert_source, alert_id)
);
`,
  },
  {
    version: 3,
    name: "batch watermarks and claim leases",
    sql: `
-- The newest alert time a scheduled batch has listed, per alert source: the next run starts there.
CREATE TABLE batch_watermarks (
  alert_source TEXT PRIMARY KEY,
  watermark TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
-- A running claim whose lease has passed belongs to a worker that died: another batch may take it over.
ALTER TABLE batch_claims ADD COLUMN lease_until TEXT;
`,
  },
  {
    version: 4,
    name: "slack cards",
    sql: `
-- Where a case's verdict card was posted, so an approval from anywhere can update it.
CREATE TABLE slack_cards (
  case_id TEXT PRIMARY KEY REFERENCES cases(id),
  channel TEXT NOT NULL,
  ts TEXT NOT NULL,
  created_at TEXT NOT NULL
);
`,
  },
  {
    version: 5,
    name: "threat-intel cache",
    sql: `
-- Vendor verdicts per observable, so a repeated observable costs no quota until its entry expires.
CREATE TABLE intel_cache (
  vendor TEXT NOT NULL,
  type TEXT NOT NULL,
  value TEXT NOT NULL,
  doc TEXT NOT NULL,
  fetched_at TEXT NOT NULL,
  PRIMARY KEY (vendor, type, value)
);
`,
  },
  {
    version: 6,
    name: "keyed audit chain",
    sql: `
-- Rows already here keep their unkeyed SHA-256 chain ('sha256', verified and reported as legacy); every row
-- from now on carries an HMAC under a key kept outside this file ('hmac-sha256'), linked to the last legacy
-- hash, so a legacy row edited later breaks the first keyed row.
ALTER TABLE audit_log ADD COLUMN scheme TEXT NOT NULL DEFAULT 'sha256' CHECK (scheme IN ('sha256', 'hmac-sha256'));
`,
  },
  {
    version: 7,
    name: "case ownership, superseded cases, incomplete investigations, action-run recovery",
    sql: `
-- The process working on a case and until when: a case left 'investigating' by a dead owner is orphaned,
-- and \`triage recover\`, a later approve or a batch takeover finishes it.
ALTER TABLE cases ADD COLUMN owner TEXT;
ALTER TABLE cases ADD COLUMN lease_until TEXT;
-- A taken-over alert's old case points at the case that replaced it.
ALTER TABLE cases ADD COLUMN superseded_by TEXT REFERENCES cases(id);
-- Recovery re-runs a case that died before its first checkpoint, in the mode it was started in.
ALTER TABLE cases ADD COLUMN dry_run INTEGER;
-- JSON list of the tools that failed when the investigation could not reach them; NULL when complete.
ALTER TABLE cases ADD COLUMN incomplete TEXT;
CREATE INDEX cases_status ON cases(status);
CREATE INDEX action_runs_status ON action_runs(status);
`,
  },
  {
    version: 8,
    name: "campaigns",
    sql: `
-- One campaign per attack: the first report's case is investigated, later reports of the same message,
-- body, payload or near-duplicate join it and inherit its verdict (revision counts verdict changes).
CREATE TABLE campaigns (
  id TEXT PRIMARY KEY,
  first_case_id TEXT NOT NULL REFERENCES cases(id),
  outcome TEXT CHECK (outcome IN ('phishing','suspicious','safe','simulation')),
  verdict TEXT,
  verdict_by TEXT,
  revision INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
-- Each case is in at most one campaign; answered_revision is the verdict revision its reporter was told.
CREATE TABLE campaign_members (
  case_id TEXT PRIMARY KEY REFERENCES cases(id),
  campaign_id TEXT NOT NULL REFERENCES campaigns(id),
  reporter TEXT,
  reason TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  answered_revision INTEGER,
  joined_at TEXT NOT NULL,
  -- The report of a case that was answered without the graph (it has no checkpoint to rebuild one from).
  report TEXT
);
CREATE INDEX campaign_members_campaign ON campaign_members(campaign_id);
-- What a later report is looked up by (message_id, body_hash, payload, infra); per member, so a merge or
-- split moves a member's keys with it.
CREATE TABLE campaign_keys (
  case_id TEXT NOT NULL REFERENCES cases(id),
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (case_id, kind, value)
);
CREATE INDEX campaign_keys_lookup ON campaign_keys(kind, value);
-- Merges and splits by a person, with the moves that undo them.
CREATE TABLE campaign_changes (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('merge','split','undo')),
  by TEXT NOT NULL,
  reason TEXT NOT NULL,
  moves TEXT NOT NULL,
  undone_by TEXT,
  at TEXT NOT NULL
);
`,
  },
  {
    version: 9,
    name: "recall indexes",
    sql: `
-- Recall (memory/recall.ts) asks, per observable, which other cases hold it and in what role: with
-- case_id and role in the index it is answered from the index alone. It makes observables_lookup, its
-- prefix, redundant.
CREATE INDEX observables_recall ON observables(type, value, case_id, role);
DROP INDEX observables_lookup;
-- A case's latest feedback and latest approval, read for every case recall finds (and by latestApproval):
-- without these each read scanned the whole table.
CREATE INDEX feedback_case ON feedback(case_id, seq);
CREATE INDEX approvals_case ON approvals(case_id, seq);
`,
  },
  {
    version: 10,
    name: "closed cases keep their report instead of their checkpoints; large evidence, verdicts and alerts deflated",
    // The engines differ only in the name of their binary type.
    sql: { sqlite: packedColumns("BLOB"), postgres: packedColumns("BYTEA") },
  },
  {
    version: 11,
    name: "a closed case's report may read its evidence and steps from the case's rows",
    // 1: the kept report holds its evidence and steps as empty lists, rebuilt on read from the evidence and
    // steps rows (memory/case-reports.ts), which it repeated. Reports kept before hold them (0).
    sql: "ALTER TABLE case_reports ADD COLUMN from_rows INTEGER NOT NULL DEFAULT 0;",
  },
];

export const LATEST_SCHEMA_VERSION = migrations.reduce((max, m) => Math.max(max, m.version), 0);
