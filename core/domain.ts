/**
 * The domain model. Everything that crosses a boundary (a vendor API, the lab, case
 * memory, a model) is parsed with one of these schemas; the types are inferred from them.
 */
import { z } from "zod";

// ---------------------------------------------------------------------------------------------------
// Shared vocabulary
// ---------------------------------------------------------------------------------------------------

export const severitySchema = z
  .enum(["informational", "low", "medium", "high", "critical"])
  .describe("How bad it is if the alert is what it claims to be");
export type Severity = z.infer<typeof severitySchema>;

export const alertFamilySchema = z
  .enum(["email", "identity", "endpoint", "network"])
  .describe("The alert family, which chooses the investigation playbook");
export type AlertFamily = z.infer<typeof alertFamilySchema>;

export const dispositionSchema = z
  .enum(["malicious", "suspicious", "benign"])
  .describe("malicious: an attack; suspicious: needs a person; benign: safe to close");
export type Disposition = z.infer<typeof dispositionSchema>;

const isoTimestamp = z.iso.datetime({ offset: true }).describe("ISO 8601 timestamp");

// ---------------------------------------------------------------------------------------------------
// Observables and alerts
// ---------------------------------------------------------------------------------------------------

export const observableTypeSchema = z.enum([
  "ip",
  "domain",
  "url",
  "email",
  "file_hash",
  "file_name",
  "user",
  "host",
  "message_id",
  "process",
]);
export type ObservableType = z.infer<typeof observableTypeSchema>;

export const observableSchema = z.object({
  type: observableTypeSchema.describe("Kind of observable"),
  value: z
    .string()
    .min(1)
    .max(2048)
    .describe("The observable's value, normalized (lower-case domains, etc.)"),
  role: z
    .string()
    .max(64)
    .optional()
    .describe("Its role in the alert: sender, recipient, reporter, source, destination, actor, target…"),
});
export type Observable = z.infer<typeof observableSchema>;

export const alertSchema = z.object({
  id: z.string().min(1).max(200).describe("Alert id in its source system"),
  source: z.string().min(1).max(64).describe("Alert source name: lab, splunk, sentinel…"),
  family: alertFamilySchema,
  type: z
    .string()
    .min(1)
    .max(128)
    .describe("Detection type, e.g. user_reported_phish, impossible_travel, suspicious_process"),
  title: z.string().min(1).max(512),
  description: z.string().max(20_000).default(""),
  severity: severitySchema,
  createdAt: isoTimestamp,
  observables: z.array(observableSchema).max(500),
  /** Vendor- or scenario-specific fields; untrusted, shown to a model only fenced as data. */
  raw: z.record(z.string(), z.unknown()).default({}),
});
export type Alert = z.infer<typeof alertSchema>;
export type AlertInput = z.input<typeof alertSchema>;

export const alertSummarySchema = z.object({
  id: z.string(),
  family: alertFamilySchema,
  type: z.string(),
  title: z.string(),
  severity: severitySchema,
  createdAt: isoTimestamp,
});
export type AlertSummary = z.infer<typeof alertSummarySchema>;

// ---------------------------------------------------------------------------------------------------
// Evidence, findings, verdicts
// ---------------------------------------------------------------------------------------------------

/** One tool result, stored with a stable id that verdicts cite. */
export const evidenceSchema = z.object({
  id: z.string().describe("Stable evidence id, e.g. ev-3f9a1c2b"),
  tool: z.string().describe("Tool that produced it"),
  args: z.record(z.string(), z.unknown()),
  summary: z.string().describe("One-line human summary of the result"),
  data: z.unknown().describe("The tool's parsed output (untrusted content)"),
  collectedAt: isoTimestamp,
});
export type Evidence = z.infer<typeof evidenceSchema>;

/** A deterministic observation from an analyzer, with the evidence it rests on. */
export const findingSchema = z.object({
  id: z.string().describe("Rule id, e.g. email.reply_to_mismatch"),
  title: z.string(),
  detail: z.string().default(""),
  /** Log-odds contribution: positive pushes towards malicious, negative towards benign. */
  weight: z.number(),
  evidenceIds: z.array(z.string()),
  attack: z.array(z.string()).default([]),
});
export type Finding = z.infer<typeof findingSchema>;
export type FindingInput = z.input<typeof findingSchema>;

export const verdictCategorySchema = z
  .enum([
    "credential_phishing",
    "malware_delivery",
    "bec",
    "callback_phishing",
    "spam",
    "graymail",
    "phishing_simulation",
    "account_takeover",
    "mfa_fatigue",
    "impossible_travel",
    "credential_dumping",
    "malicious_execution",
    "admin_activity",
    "scanner_activity",
    "benign_notification",
    "other",
  ])
  .describe("What the alert turned out to be");
export type VerdictCategory = z.infer<typeof verdictCategorySchema>;

/** Model calls and tokens, from the responses' usage metadata. */
export const modelUsageSchema = z.object({
  calls: z.number().int().min(0),
  promptTokens: z.number().int().min(0),
  completionTokens: z.number().int().min(0),
});
export type ModelUsage = z.infer<typeof modelUsageSchema>;
export const noModelUsage: ModelUsage = { calls: 0, promptTokens: 0, completionTokens: 0 };
export const addModelUsage = (a: ModelUsage, b: ModelUsage): ModelUsage => ({
  calls: a.calls + b.calls,
  promptTokens: a.promptTokens + b.promptTokens,
  completionTokens: a.completionTokens + b.completionTokens,
});

export const verdictSchema = z.object({
  disposition: dispositionSchema,
  confidence: z.number().min(0).max(1).describe("Calibrated confidence in the disposition, 0 to 1"),
  severity: severitySchema,
  category: verdictCategorySchema,
  attack: z.array(z.string().regex(/^T\d{4}(\.\d{3})?$/)).describe("MITRE ATT&CK technique ids"),
  summary: z.string().min(1).max(2000).describe("One or two sentences an analyst reads first"),
  rationale: z.array(z.string().max(1000)).max(20).describe("Why, one reason per line"),
  evidenceIds: z.array(z.string()).describe("Ids of the evidence the verdict rests on"),
  findingIds: z.array(z.string()).default([]),
  /** Probability the alert is malicious, from the scoring model; confidence is derived from it. */
  maliciousProbability: z.number().min(0).max(1).optional(),
  reasoner: z.string().describe("Which reasoner produced it"),
  /**
   * Set by the engine, never by a reasoner: the tools the investigation needed but could not use (a mail
   * system refusing our token, an EDR timing out). Such a verdict rests on partial evidence.
   */
  incomplete: z.object({ failedTools: z.array(z.string()).min(1), reasons: z.array(z.string()) }).optional(),
  /** Model use for this case, from the responses' usage, and the hashes of the prompts that shaped it. */
  model: modelUsageSchema.extend({ prompts: z.record(z.string(), z.string()) }).optional(),
});
export type Verdict = z.infer<typeof verdictSchema>;

// ---------------------------------------------------------------------------------------------------
// Response actions and the policy gate
// ---------------------------------------------------------------------------------------------------

export const actionTypeSchema = z.enum([
  "quarantine_message",
  "block_sender",
  "block_domain",
  "block_url",
  "block_ip",
  "remove_inbox_rule",
  "revoke_sessions",
  "reset_password",
  "disable_user",
  "isolate_host",
  "kill_process",
  "delete_mailbox",
  "notify_reporter",
  "close_case",
  "escalate",
]);
export type ActionType = z.infer<typeof actionTypeSchema>;

export const actionTargetKindSchema = z.enum([
  "message",
  "mailbox",
  "user",
  "host",
  "sender",
  "domain",
  "url",
  "ip",
  "process",
  "case",
]);
export type ActionTargetKind = z.infer<typeof actionTargetKindSchema>;

export const proposedActionSchema = z.object({
  id: z.string().describe("Action id within the case, e.g. act-1"),
  type: actionTypeSchema,
  target: z.string().min(1).max(2048).describe("What the action applies to (message id, user, host…)"),
  targetKind: actionTargetKindSchema,
  reason: z.string().max(2000),
  /** Mailboxes or hosts touched: quarantining 40 copies has a blast radius of 40. */
  blastRadius: z.number().int().min(0),
  /** Tags of the target resolved by code (never by a model): vip, critical_server, executive… */
  targetTags: z.array(z.string()).default([]),
  params: z.record(z.string(), z.unknown()).default({}),
  evidenceIds: z.array(z.string()).default([]),
});
export type ProposedAction = z.infer<typeof proposedActionSchema>;
export type ProposedActionInput = z.input<typeof proposedActionSchema>;

export const policyDecisionValueSchema = z.enum(["allow", "require_approval", "deny"]);
export type PolicyDecisionValue = z.infer<typeof policyDecisionValueSchema>;

export const policyDecisionSchema = z.object({
  actionId: z.string(),
  decision: policyDecisionValueSchema,
  rule: z.string().describe("Id of the rule that decided, or 'default'"),
  reason: z.string(),
  approvers: z.array(z.string()).default([]),
});
export type PolicyDecision = z.infer<typeof policyDecisionSchema>;

export const actionStatusSchema = z.enum(["executed", "dry_run", "pending_approval", "denied", "failed"]);
export type ActionStatus = z.infer<typeof actionStatusSchema>;

export const actionResultSchema = z.object({
  actionId: z.string(),
  status: actionStatusSchema,
  idempotencyKey: z.string(),
  detail: z.string().default(""),
  at: isoTimestamp,
});
export type ActionResult = z.infer<typeof actionResultSchema>;

export const approvalSchema = z.object({
  approved: z.boolean(),
  by: z.string().min(1).max(200),
  /** Action ids the approval covers; empty means every pending action. */
  actionIds: z.array(z.string()).default([]),
  comment: z.string().max(2000).default(""),
  at: isoTimestamp,
});
export type Approval = z.infer<typeof approvalSchema>;

// ---------------------------------------------------------------------------------------------------
// Port data shapes
// ---------------------------------------------------------------------------------------------------

/** Datasets the SIEM port can search; every vendor maps them to its own indexes or tables. */
export const siemDatasetSchema = z
  .enum(["signin", "proxy", "dns", "mail", "process", "network", "audit"])
  .describe(
    "Event dataset: signin, proxy (web), dns, mail (gateway), process, network, audit (admin/mailbox)",
  );
export type SiemDataset = z.infer<typeof siemDatasetSchema>;

export const siemFilterSchema = z.object({
  field: z
    .string()
    .regex(/^[a-z_][a-z0-9_.]*$/)
    .describe("ECS-style field, e.g. user.name, source.ip, url.domain, email.from.address, host.name"),
  op: z.enum(["eq", "neq", "in", "contains", "gte", "lte"]).describe("Comparison operator"),
  value: z
    .union([z.string(), z.number(), z.array(z.string())])
    .describe("Value to compare with; an array only with op 'in'"),
});
export type SiemFilter = z.infer<typeof siemFilterSchema>;

export const siemQuerySchema = z.object({
  dataset: siemDatasetSchema,
  where: z.array(siemFilterSchema).max(10).default([]).describe("Filters, all of which must hold"),
  from: isoTimestamp.describe("Start of the time range"),
  to: isoTimestamp.describe("End of the time range"),
  limit: z.number().int().min(1).max(1000).default(100).describe("Most events to return"),
});
export type SiemQuery = z.infer<typeof siemQuerySchema>;
export type SiemQueryInput = z.input<typeof siemQuerySchema>;

export const siemFieldValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export const siemEventSchema = z.object({
  id: z.string(),
  timestamp: isoTimestamp,
  dataset: siemDatasetSchema,
  /** Flat ECS-style fields (user.name, source.ip, source.geo.country_iso_code, event.outcome…). */
  fields: z.record(z.string(), siemFieldValueSchema),
});
export type SiemEvent = z.infer<typeof siemEventSchema>;

export const hostSchema = z.object({
  id: z.string(),
  hostname: z.string(),
  os: z.string(),
  ip: z.string().nullish(),
  tags: z.array(z.string()).default([]),
  owner: z.string().nullish(),
  isolated: z.boolean().default(false),
  lastSeen: isoTimestamp,
});
export type Host = z.infer<typeof hostSchema>;

export const processSchema = z.object({
  id: z.string().describe("Process guid"),
  parentId: z.string().nullish(),
  hostId: z.string(),
  pid: z.number().int(),
  image: z.string().describe("Full image path"),
  commandLine: z.string(),
  user: z.string().nullish(),
  sha256: z.string().nullish(),
  signer: z.string().nullish(),
  startedAt: isoTimestamp,
});
export type ProcessRecord = z.infer<typeof processSchema>;

export const networkConnectionSchema = z.object({
  processId: z.string(),
  remoteIp: z.string(),
  remotePort: z.number().int(),
  remoteDomain: z.string().nullish(),
  timestamp: isoTimestamp,
});
export type NetworkConnection = z.infer<typeof networkConnectionSchema>;

/** A process with its ancestors and descendants, plus the network connections they made. */
export const processTreeSchema = z.object({
  hostId: z.string(),
  rootId: z.string(),
  processes: z.array(processSchema),
  connections: z.array(networkConnectionSchema).default([]),
});
export type ProcessTree = z.infer<typeof processTreeSchema>;

export const edrDetectionSchema = z.object({
  id: z.string(),
  hostId: z.string(),
  name: z.string(),
  severity: severitySchema,
  processId: z.string().nullish(),
  attack: z.array(z.string()).default([]),
  timestamp: isoTimestamp,
});
export type EdrDetection = z.infer<typeof edrDetectionSchema>;

export const mailboxMessageSchema = z.object({
  id: z.string().describe("Message id in the mail system (not the RFC 5322 Message-ID)"),
  mailbox: z.string().describe("Mailbox address holding this copy"),
  messageId: z.string().describe("RFC 5322 Message-ID"),
  from: z.string(),
  subject: z.string(),
  receivedAt: isoTimestamp,
  folder: z.string(),
  isRead: z.boolean().default(false),
});
export type MailboxMessage = z.infer<typeof mailboxMessageSchema>;

export const mailSearchQuerySchema = z
  .object({
    messageId: z.string().optional().describe("RFC 5322 Message-ID to find every copy of"),
    from: z.string().optional().describe("Sender address"),
    subject: z.string().optional().describe("Exact subject"),
    mailbox: z.string().optional().describe("Limit to one mailbox"),
    since: isoTimestamp.optional().describe("Received at or after"),
    until: isoTimestamp.optional().describe("Received at or before"),
    limit: z.number().int().min(1).max(1000).default(200).describe("Most messages to return"),
  })
  .describe("Find messages across mailboxes; at least one of messageId, from, subject, mailbox");
export type MailSearchQuery = z.infer<typeof mailSearchQuerySchema>;
export type MailSearchQueryInput = z.input<typeof mailSearchQuerySchema>;

export const inboxRuleSchema = z.object({
  id: z.string(),
  mailbox: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  forwardTo: z.array(z.string()).default([]),
  moveToFolder: z.string().nullish(),
  deleteMessage: z.boolean().default(false),
  conditions: z.record(z.string(), z.unknown()).default({}),
  createdAt: isoTimestamp.nullish(),
});
export type InboxRule = z.infer<typeof inboxRuleSchema>;

export const directoryUserSchema = z.object({
  id: z.string(),
  userPrincipalName: z.string(),
  displayName: z.string(),
  department: z.string().nullish(),
  jobTitle: z.string().nullish(),
  accountEnabled: z.boolean(),
  tags: z.array(z.string()).default([]).describe("vip, executive, finance, admin, service_account…"),
  usualCountries: z.array(z.string()).default([]),
  mfaMethods: z.array(z.string()).default([]),
});
export type DirectoryUser = z.infer<typeof directoryUserSchema>;

export const signInSchema = z.object({
  id: z.string(),
  user: z.string(),
  timestamp: isoTimestamp,
  ip: z.string(),
  country: z.string().nullish(),
  city: z.string().nullish(),
  app: z.string(),
  result: z.enum(["success", "failure", "mfa_denied", "mfa_timeout", "mfa_approved"]),
  userAgent: z.string().nullish(),
  deviceCompliant: z.boolean().nullish(),
  riskLevel: z.enum(["none", "low", "medium", "high"]).nullish(),
});
export type SignIn = z.infer<typeof signInSchema>;

export const intelVerdictSchema = z.object({
  observable: observableSchema.pick({ type: true, value: true }),
  verdict: z.enum(["malicious", "suspicious", "harmless", "unknown"]),
  score: z.number().min(0).max(100).nullish().describe("0 harmless to 100 certainly malicious"),
  sources: z.array(z.string()).default([]),
  tags: z
    .array(z.string())
    .default([])
    .describe("e.g. phishing, c2, corporate_vpn, scanner, newly_registered"),
  firstSeen: isoTimestamp.nullish(),
  detail: z.string().nullish(),
});
export type IntelVerdict = z.infer<typeof intelVerdictSchema>;

export const responseOutcomeSchema = z.object({
  outcome: z.enum(["executed", "already_done"]),
  detail: z.string(),
});
export type ResponseOutcome = z.infer<typeof responseOutcomeSchema>;

// ---------------------------------------------------------------------------------------------------
// Case memory: what earlier cases say about this one
// ---------------------------------------------------------------------------------------------------
/** A case that shares observables with the alert being triaged. */
export const relatedCaseSchema = z.object({
  caseId: z.string(),
  alertId: z.string(),
  alertType: z.string(),
  title: z.string(),
  createdAt: z.string(),
  disposition: dispositionSchema.nullish(),
  /** A person's word (feedback, or approving the case's containment), which outranks the engine's. */
  analystDisposition: dispositionSchema.nullish(),
  /**
   * The person who settled the case (analyst feedback, or approving its containment actions); absent when
   * the disposition is the engine's own, unconfirmed.
   */
  confirmedBy: z.string().nullish(),
  sharedObservables: z.array(observableSchema.pick({ type: true, value: true })),
  /** Same fingerprint: the same alert content seen before. */
  duplicate: z.boolean(),
});
export type RelatedCase = z.infer<typeof relatedCaseSchema>;

/**
 * What case memory knows about an observable from earlier cases and analyst lists. Confirmed and
 * unconfirmed cases are counted apart: only a person's word may weigh like evidence.
 */
export const observableHistorySchema = z.object({
  type: z.string(),
  value: z.string(),
  /** Cases the observable appeared in before this one. */
  seenInCases: z.number().int(),
  /** Cases a person settled as malicious (analyst feedback, or an approved containment action). */
  confirmedMalicious: z.number().int(),
  /** Cases a person settled as benign (analyst feedback). */
  confirmedBenign: z.number().int(),
  /** Who settled them, for the report's wording. */
  confirmedBy: z.array(z.string()),
  /** The engine's own malicious verdicts that no one confirmed (suspicious ones are not counted). */
  unconfirmedMalicious: z.number().int(),
  /** From analyst allow/deny lists. */
  listed: z.enum(["allow", "deny"]).nullish(),
});
export type ObservableHistory = z.infer<typeof observableHistorySchema>;

/**
 * Observable roles that name the people involved (or values only pattern-matched out of raw fields, where
 * mailbox addresses and message ids hide), not the threat: sharing them does not make cases related.
 */
export const personalRoles = ["reporter", "recipient", "mentioned"] as const;

export function isPersonalRole(role: string | null | undefined): boolean {
  return (personalRoles as readonly string[]).includes(role ?? "");
}

// ---------------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------------

export const caseStatusSchema = z.enum(["investigating", "awaiting_approval", "closed", "failed"]);
export type CaseStatus = z.infer<typeof caseStatusSchema>;
/** A case as analysts list it. */
export const caseSummarySchema = z.object({
  caseId: z.string(),
  alertId: z.string(),
  family: alertFamilySchema,
  type: z.string(),
  title: z.string(),
  disposition: dispositionSchema.nullable(),
  confidence: z.number().nullable(),
  status: caseStatusSchema,
  reasoner: z.string(),
  error: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The case that replaced this one when another worker took its alert over. */
  supersededBy: z.string().nullable(),
  /** Tools the investigation needed but could not use; null when it was complete. */
  incomplete: z.array(z.string()).nullable(),
});
export type CaseSummary = z.infer<typeof caseSummarySchema>;

/** An analyst's disposition of a case; the latest one counts, and recall ranks it above the engine's. */
export interface CaseFeedback {
  disposition: Disposition;
  by: string;
  comment: string;
}
/** The statuses a finished run reports: it either waits for a person or is closed. */
export type ReportStatus = Extract<CaseStatus, "awaiting_approval" | "closed">;

/** One executed tool call, as the report lists it. */
export const investigationStepSchema = z.object({
  round: z.number().int(),
  tool: z.string(),
  args: z.record(z.string(), z.unknown()),
  evidenceId: z.string(),
  ok: z.boolean(),
  summary: z.string(),
  durationMs: z.number(),
});
export type InvestigationStep = z.infer<typeof investigationStepSchema>;

/** What a caller records in the audit log; the store adds seq, time and MAC. */
export interface AuditEntry {
  actor: string;
  event: string;
  caseId: string | null;
  payload: Record<string, unknown>;
}
