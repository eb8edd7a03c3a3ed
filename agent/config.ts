/**
 * Effective configuration: defaults, then the config file, then environment variables, then CLI flags.
 * The environment is read once, here.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { TriageError, describeError } from "../core/errors.ts";
import { organizationProfileSchema, type OrganizationProfile } from "../core/organization.ts";
import { defaultBudget, type TriageBudget } from "./deps.ts";
import { DEFAULT_LEASE_MS } from "../memory/case-leases.ts";
import { integrationsSchema, type Integrations } from "../tools/registry.ts";
import { parseAuditKey } from "../memory/audit-key.ts";
import { checkQueueUrl } from "../memory/queue/queue-url.ts";
import { auditStreamConfigSchema } from "../memory/audit-stream.ts";
import { defaultAuditSettings, type AuditSettings } from "../memory/audit.ts";
import { secrets } from "../core/redact.ts";
import { checkPostgresUrl, isPostgresUrl } from "../memory/sql/location.ts";
import { MAX_YAML_ALIASES, readLimitedFile } from "./file-limits.ts";
import { projectRoot } from "./project-root.ts";

export { projectRoot };
export const defaultPolicyPath = join(projectRoot, "policies", "default.yaml");

const budgetSchema = z
  .object({
    maxToolCalls: z.number().int().min(1).max(500),
    maxRounds: z.number().int().min(1).max(50),
    maxWallMs: z.number().int().min(100),
    toolTimeoutMs: z.number().int().min(10),
    toolRetries: z.number().int().min(0).max(5),
    toolConcurrency: z.number().int().min(1).max(64),
  })
  .partial()
  .strict();

export const configFileSchema = z
  .object({
    database: z
      .string()
      .optional()
      .describe("Case memory: a SQLite file, or a PostgreSQL URL (postgres://user@host:5432/triage)"),
    queue: z.string().optional().describe("Alert queue for batch --enqueue and worker: a postgres:// URL"),
    labDatabase: z.string().optional().describe("Embedded lab SQLite file"),
    labSeed: z.number().int().optional(),
    policy: z.string().optional().describe("Policy file (YAML or JSON)"),
    organization: organizationProfileSchema.partial().strict().optional(),
    budget: budgetSchema.optional(),
    batch: z
      .object({
        leaseSeconds: z
          .number()
          .int()
          .min(1)
          .max(86_400)
          .optional()
          .describe("How long a worker holds an alert or case without renewing it (default 600)"),
      })
      .strict()
      .optional(),
    llm: z
      .object({
        provider: z.enum(["offline", "openai", "ollama"]).optional(),
        model: z.string().min(1).optional(),
        baseURL: z.string().url().optional(),
        assessModel: z.string().min(1).optional(),
        redact: z.boolean().optional(),
      })
      .strict()
      .optional()
      .describe("Model settings; the API key only ever comes from OPENAI_API_KEY"),
    audit: z
      .object({
        keyFile: z
          .string()
          .min(1)
          .optional()
          .describe("HMAC key of the audit chain (default <database>.audit-key; TRIAGE_AUDIT_KEY wins)"),
        headFile: z
          .string()
          .min(1)
          .optional()
          .describe("Signed head of the audit chain (default: beside the key file)"),
        stream: auditStreamConfigSchema.optional(),
      })
      .strict()
      .optional()
      .describe("Audit log key, head and optional stream; keep key and head off the database's host"),
    integrations: integrationsSchema
      .optional()
      .describe(
        "Which vendor serves each tool port, and each vendor's settings (secrets only as env var names)",
      ),
  })
  .strict();

export interface LlmConfig {
  provider: "offline" | "openai" | "ollama";
  model: string;
  baseURL: string | null;
  /** From the environment only; never written to logs, reports or case memory. */
  apiKey: string | null;
  /** A different model for assessment than for planning (TRIAGE_ASSESS_MODEL). */
  assessModel: string | null;
  /** Redact personal data before it reaches the model; default on unless the endpoint is local. */
  redact: boolean;
  /** Stream planning responses (TRIAGE_STREAM=1). */
  stream: boolean;
}

export interface TriageConfig {
  /** Case memory: a SQLite file path (absolute), or a PostgreSQL URL. */
  databasePath: string;
  /** The alert queue (`triage batch --enqueue`, `triage worker`): a postgres:// URL, or null when none is set. */
  queueUrl: string | null;
  labDatabasePath: string;
  labSeed: number;
  policyPath: string;
  organization: OrganizationProfile;
  budget: TriageBudget;
  /** Claim and case lease: a worker renews it every third while it works; past it, others take over. */
  leaseMs: number;
  llm: LlmConfig;
  integrations: Integrations;
  /** Where the audit key and signed head live (outside the database), and the optional stream. */
  audit: AuditSettings;
  /** The environment as read once at start-up; vendor secrets are looked up here by name, on first use. */
  env: Readonly<Record<string, string | undefined>>;
  configPath: string | null;
}

export interface ConfigOverrides {
  config?: string | undefined;
  db?: string | undefined;
  labDb?: string | undefined;
  policy?: string | undefined;
  /** The alert source for this run, overriding integrations.alerts. */
  source?: string | undefined;
  /** Lease in seconds (--lease), overriding batch.leaseSeconds. */
  leaseSeconds?: number | undefined;
  /** The alert queue's URL (--queue), overriding TRIAGE_QUEUE and the config file's queue. */
  queue?: string | undefined;
}

function dataHome(env: NodeJS.ProcessEnv): string {
  return env.XDG_DATA_HOME
    ? join(env.XDG_DATA_HOME, "soc-triage")
    : join(homedir(), ".local", "share", "soc-triage");
}

function readConfigFile(path: string): z.infer<typeof configFileSchema> {
  const text = readLimitedFile(path, "config file", "BAD_INPUT");
  let data: unknown;
  try {
    // An alias bomb throws here (the yaml library counts expansions), and becomes one line like any error.
    data = parseYaml(text, { maxAliasCount: MAX_YAML_ALIASES, prettyErrors: false }) ?? {};
  } catch (error) {
    throw new TriageError("BAD_INPUT", `config file ${path} is not valid YAML: ${describeError(error)}`);
  }
  const parsed = configFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TriageError(
      "BAD_INPUT",
      `config file ${path}: ${issue?.path.join(".") || "root"}: ${issue?.message ?? "invalid"}`,
    );
  }
  return parsed.data;
}

/**
 * Where case memory is, and where the files that go with it (audit key and head, the lab) live by default:
 * beside a SQLite file; for PostgreSQL, in the data directory under a name from host, port and database.
 * A PostgreSQL URL's password is registered as a secret, so no output shows it.
 */
function databaseLocation(
  given: string | undefined,
  env: NodeJS.ProcessEnv,
): { location: string; filesDir: string; fileStem: string } {
  if (given === undefined || !isPostgresUrl(given)) {
    const path = resolve(given ?? join(dataHome(env), "cases.db"));
    return { location: path, filesDir: dirname(path), fileStem: path };
  }
  const url = new URL(checkPostgresUrl(given));
  if (url.password) secrets.add(decodeURIComponent(url.password));
  const name = `postgres-${url.hostname || "socket"}-${url.port || "5432"}-${url.pathname.slice(1)}`;
  const dir = dataHome(env);
  return { location: given, filesDir: dir, fileStem: join(dir, name.replace(/[^A-Za-z0-9._-]/g, "_")) };
}

function auditSettings(
  databasePath: string,
  file: NonNullable<z.infer<typeof configFileSchema>["audit"]>,
  envKey: string | undefined,
  relative: (path: string | undefined) => string | undefined,
): AuditSettings {
  // Checked now, so a mistyped key stops the command before any case is opened.
  if (envKey !== undefined) {
    parseAuditKey(envKey, "TRIAGE_AUDIT_KEY");
    secrets.add(envKey);
  }
  const keyFile = resolve(relative(file.keyFile) ?? `${databasePath}.audit-key`);
  const headFile = resolve(
    relative(file.headFile) ?? join(dirname(keyFile), `${basename(databasePath)}.audit-head`),
  );
  const jsonl = relative(file.stream?.jsonl);
  return {
    key: envKey !== undefined ? { kind: "env", text: envKey } : { kind: "file", path: keyFile },
    headFile,
    ...(file.stream ? { stream: { ...file.stream, ...(jsonl ? { jsonl: resolve(jsonl) } : {}) } } : {}),
  };
}

/**
 * The configuration with its case memory moved to a scratch directory (evaluations): the database, its
 * audit key and head go there, and no audit stream is fed, so an evaluation never touches the deployment's
 * case memory, its audit head or its SIEM stream.
 */
export function scratchConfig(
  config: TriageConfig,
  dir: string,
  options: { lab?: boolean } = {},
): TriageConfig {
  const databasePath = join(dir, "cases.db");
  return {
    ...config,
    databasePath,
    ...(options.lab ? { labDatabasePath: join(dir, "lab.db") } : {}),
    audit: defaultAuditSettings(databasePath),
  };
}

/** The env variable names a vendor block points at for its secrets (`tokenEnv`, `clientSecretEnv`…), at any depth. */
export function secretEnvNames(vendors: unknown): string[] {
  const names: string[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 8 || typeof value !== "object" || value === null) return;
    for (const [key, item] of Object.entries(value)) {
      if (/Env$/.test(key) && typeof item === "string") names.push(item);
      else visit(item, depth + 1);
    }
  };
  visit(vendors, 0);
  return names;
}

/** Resolves the effective configuration. Relative paths in the config file are relative to that file. */
export function loadConfig(
  overrides: ConfigOverrides = {},
  rawEnv: NodeJS.ProcessEnv = process.env,
): TriageConfig {
  // An empty variable (TRIAGE_DB= ) means "not set", as shells and CI files produce them.
  const env = Object.fromEntries(Object.entries(rawEnv).filter(([, v]) => v !== undefined && v !== ""));
  const configPath = overrides.config ?? env.TRIAGE_CONFIG ?? null;
  const file = configPath ? readConfigFile(configPath) : {};
  const relative = (path: string | undefined) =>
    path && configPath ? resolve(dirname(configPath), path) : path;
  const database = databaseLocation(
    overrides.db ??
      env.TRIAGE_DB ??
      (file.database && isPostgresUrl(file.database) ? file.database : relative(file.database)),
    env,
  );
  const databasePath = database.location;
  const labDatabasePath = resolve(
    overrides.labDb ?? env.TRIAGE_LAB_DB ?? relative(file.labDatabase) ?? join(database.filesDir, "lab.db"),
  );
  const seedText = env.TRIAGE_LAB_SEED;
  const labSeed =
    seedText !== undefined && /^\d+$/.test(seedText) ? Number(seedText) : (file.labSeed ?? 1337);
  const policyPath = resolve(
    overrides.policy ?? env.TRIAGE_POLICY ?? relative(file.policy) ?? defaultPolicyPath,
  );
  const budget = { ...defaultBudget };
  for (const [key, value] of Object.entries(file.budget ?? {}))
    if (value !== undefined) Object.assign(budget, { [key]: value });
  const providerText = env.TRIAGE_LLM ?? file.llm?.provider ?? "offline";
  if (providerText !== "offline" && providerText !== "openai" && providerText !== "ollama") {
    throw new TriageError("BAD_INPUT", `TRIAGE_LLM must be offline, openai or ollama, got ${providerText}`);
  }
  const apiKey = env.OPENAI_API_KEY ?? null;
  if (providerText === "openai" && !apiKey)
    throw new TriageError("BAD_INPUT", "TRIAGE_LLM=openai needs OPENAI_API_KEY in the environment");
  const llm: LlmConfig = {
    provider: providerText,
    model: env.TRIAGE_MODEL ?? file.llm?.model ?? (providerText === "ollama" ? "llama3.1" : "gpt-4o-mini"),
    baseURL:
      providerText === "ollama"
        ? (env.OLLAMA_HOST ?? file.llm?.baseURL ?? "http://127.0.0.1:11434").replace(/\/+$/, "")
        : (env.OPENAI_BASE_URL ?? file.llm?.baseURL ?? null),
    apiKey,
    assessModel: env.TRIAGE_ASSESS_MODEL ?? file.llm?.assessModel ?? null,
    redact: false,
    stream: env.TRIAGE_STREAM !== undefined && /^(1|true|yes|on)$/i.test(env.TRIAGE_STREAM),
  };
  const local = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(llm.baseURL ?? "");
  llm.redact =
    env.TRIAGE_REDACT !== undefined
      ? !/^(0|false|no|off)$/i.test(env.TRIAGE_REDACT)
      : (file.llm?.redact ?? !local);
  const source = overrides.source ?? env.TRIAGE_SOURCE;
  const chosen = integrationsSchema.safeParse({
    ...file.integrations,
    ...(source === undefined ? {} : { alerts: source }),
  });
  if (!chosen.success)
    throw new TriageError(
      "BAD_INPUT",
      `--source must be a vendor name such as lab or sentinel, got ${source}`,
    );
  const integrations = chosen.data;
  // Every secret this process can use is known from here on, so every sink can scrub it.
  secrets.addFromEnv(env, secretEnvNames(integrations.vendors));
  const queueText = overrides.queue ?? env.TRIAGE_QUEUE ?? file.queue;
  const queueFrom =
    overrides.queue !== undefined
      ? "--queue"
      : env.TRIAGE_QUEUE !== undefined
        ? "TRIAGE_QUEUE"
        : "config queue";
  return {
    audit: auditSettings(database.fileStem, file.audit ?? {}, env.TRIAGE_AUDIT_KEY, relative),
    databasePath,
    queueUrl: queueText === undefined ? null : checkQueueUrl(queueText, queueFrom),
    labDatabasePath,
    labSeed,
    policyPath,
    organization: organizationProfileSchema.parse(file.organization ?? {}),
    budget,
    leaseMs: (overrides.leaseSeconds ?? file.batch?.leaseSeconds ?? DEFAULT_LEASE_MS / 1000) * 1000,
    llm,
    integrations,
    env,
    configPath: configPath && existsSync(configPath) ? resolve(configPath) : null,
  };
}
