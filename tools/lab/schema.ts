/**
 * The lab database layout: the one contract between the scenario generator (writes) and the lab ports
 * (read). Every `doc` column holds one JSON document that parses with the named schema of tools/types.ts,
 * so the ports return exactly what a vendor adapter would, and nothing else.
 */
export const LAB_SCHEMA_VERSION = 1;

export const LAB_DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- doc: Alert (alertSchema). Ordered by created_at for listAlerts.
CREATE TABLE IF NOT EXISTS alerts (
  id TEXT PRIMARY KEY, created_at TEXT NOT NULL, family TEXT NOT NULL, type TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_created ON alerts(created_at);
-- Read by evals and tests only; no port and no engine code touches it.
CREATE TABLE IF NOT EXISTS ground_truth (
  alert_id TEXT PRIMARY KEY REFERENCES alerts(id), disposition TEXT NOT NULL, category TEXT NOT NULL,
  scenario TEXT NOT NULL);
-- doc: SiemEvent (siemEventSchema); fields are flat ECS names.
CREATE TABLE IF NOT EXISTS siem_events (
  id TEXT PRIMARY KEY, dataset TEXT NOT NULL, ts TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS siem_events_dataset_ts ON siem_events(dataset, ts);
-- doc: Host (hostSchema).
CREATE TABLE IF NOT EXISTS hosts (id TEXT PRIMARY KEY, hostname TEXT NOT NULL UNIQUE COLLATE NOCASE, doc TEXT NOT NULL);
-- doc: ProcessRecord (processSchema).
CREATE TABLE IF NOT EXISTS processes (
  id TEXT PRIMARY KEY, host_id TEXT NOT NULL, parent_id TEXT, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS processes_parent ON processes(parent_id);
CREATE INDEX IF NOT EXISTS processes_host ON processes(host_id);
-- doc: NetworkConnection (networkConnectionSchema).
CREATE TABLE IF NOT EXISTS connections (process_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS connections_process ON connections(process_id);
-- doc: EdrDetection (edrDetectionSchema).
CREATE TABLE IF NOT EXISTS detections (id TEXT PRIMARY KEY, host_id TEXT NOT NULL, ts TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS detections_host_ts ON detections(host_id, ts);
-- doc: MailboxMessage (mailboxMessageSchema); raw: the full RFC 5322 source (CRLF line ends).
CREATE TABLE IF NOT EXISTS messages (
  id TEXT PRIMARY KEY, mailbox TEXT NOT NULL COLLATE NOCASE, message_id TEXT NOT NULL, from_addr TEXT NOT NULL COLLATE NOCASE,
  subject TEXT NOT NULL, received_at TEXT NOT NULL, doc TEXT NOT NULL, raw TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS messages_mailbox ON messages(mailbox);
CREATE INDEX IF NOT EXISTS messages_message_id ON messages(message_id);
CREATE INDEX IF NOT EXISTS messages_from ON messages(from_addr);
-- doc: InboxRule (inboxRuleSchema).
CREATE TABLE IF NOT EXISTS inbox_rules (id TEXT PRIMARY KEY, mailbox TEXT NOT NULL COLLATE NOCASE, doc TEXT NOT NULL);
-- doc: DirectoryUser (directoryUserSchema).
CREATE TABLE IF NOT EXISTS users (upn TEXT PRIMARY KEY COLLATE NOCASE, doc TEXT NOT NULL);
-- doc: SignIn (signInSchema).
CREATE TABLE IF NOT EXISTS sign_ins (id TEXT PRIMARY KEY, user TEXT NOT NULL COLLATE NOCASE, ts TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sign_ins_user_ts ON sign_ins(user, ts);
-- doc: IntelVerdict (intelVerdictSchema). Lookups of values not here answer "unknown".
CREATE TABLE IF NOT EXISTS intel (type TEXT NOT NULL, value TEXT NOT NULL COLLATE NOCASE, doc TEXT NOT NULL, PRIMARY KEY (type, value));
-- Written by the lab responder: one row per idempotency key, so a repeated action reports already_done.
CREATE TABLE IF NOT EXISTS action_log (
  idempotency_key TEXT PRIMARY KEY, action_type TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL, at TEXT NOT NULL);
`;
