/**
 * The one redaction layer. Every secret the process holds (API keys, client secrets, passwords, tokens,
 * OAuth access tokens as they are fetched) is registered once; `redact` removes those values, header
 * echoes (Authorization, Cookie, X-Api-Key, Key…) and bearer-/JWT-like tokens from any text. It runs at
 * the HTTP boundary (error bodies, before a message is built) and again at every sink (ToolError,
 * case memory, doctor/config output, Slack cards, prompts), because a sink cannot know where text came from.
 */

export const REDACTED = "[REDACTED]";

/** Shorter values are not secrets worth matching and would redact ordinary words. */
const MIN_SECRET_LENGTH = 6;
/**
 * A long-running bot fetches a token per vendor (and per Gmail mailbox) every hour; past this many fetched
 * values the oldest (long expired) go first. Configured secrets are kept apart and never dropped.
 */
const MAX_FETCHED = 5_000;

/** Env variable names that hold secrets, for collecting them from the environment once. */
const SECRET_ENV_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|AUTH_?KEY|PRIVATE_?KEY|CREDENTIAL|COOKIE)/i;

/** Header, form and query names whose value is a credential. */
const CREDENTIAL_NAMES =
  "proxy-authorization|authorization|set-cookie|cookie|x-api-?key|x-apikey|api[-_]?key|apikey|auth-key|x-auth-token|" +
  "x-goog-api-key|private[-_]token|client[-_]secret|client_assertion|assertion|password|passwd|" +
  "access[-_]token|refresh[-_]token|id[-_]token|session[-_]?key|sessionkey|signing[-_]secret";
/** `key` alone is a credential header (AbuseIPDB) but also an ordinary data field: only in error bodies. */
const STRICT_NAMES = `${CREDENTIAL_NAMES}|key|token|secret`;

const SCHEME = "(?:bearer|basic|splunk|token|apikey|sso-key|ssws|digest|negotiate)\\s+";
/** name, optional quote, `:` or `=` (or a JSON `":"`), optional quote and auth scheme, then the value. */
function echoPattern(names: string): RegExp {
  return new RegExp(
    `((?:^|[^a-z0-9_-])["']?(?:${names})["']?\\s*(?:[:=]|=>)\\s*["']?(?:${SCHEME})?)([^\\s"'&,;<>{}\\[\\]\\\\]+)`,
    "gi",
  );
}
const ECHO = echoPattern(CREDENTIAL_NAMES);
const STRICT_ECHO = echoPattern(STRICT_NAMES);

/** Token shapes that are secrets wherever they appear. */
const TOKEN_SHAPES: readonly RegExp[] = [
  // "Bearer x", "Splunk x", "Basic x" outside a header echo (e.g. in a quoted curl line).
  /\b(Bearer|Splunk|Basic)\s+[A-Za-z0-9._~+/=-]{12,}/g,
  // JWTs (OAuth access tokens, Google assertions).
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
  // Slack, OpenAI, GitHub, AWS key shapes.
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g,
  /\bxapp-[A-Za-z0-9-]{10,}/g,
  /\bsk-[A-Za-z0-9_-]{20,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  // user:password@ in a URL.
  /(?<=\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]+(?=@)/gi,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A set of secret values and the one pattern that matches any of them. */
export class SecretRegistry {
  /** From the configuration and environment: kept for the life of the process. */
  private readonly configured = new Set<string>();
  /** Obtained at run time (access tokens, session keys, what a request sends): the oldest may go. */
  private readonly fetched = new Set<string>();
  private pattern: RegExp | null = null;

  /** Registers configured secret values (and their URL- and JSON-encoded forms, as echoes carry them). */
  add(...values: ReadonlyArray<string | null | undefined>): void {
    for (const value of values) this.insert(value, this.configured);
  }

  /** Registers a secret obtained at run time, e.g. an OAuth access token as it is fetched. */
  addFetched(...values: ReadonlyArray<string | null | undefined>): void {
    for (const value of values) this.insert(value, this.fetched);
    for (const oldest of this.fetched) {
      if (this.fetched.size <= MAX_FETCHED) break;
      this.fetched.delete(oldest);
      this.pattern = null;
    }
  }

  private insert(raw: string | null | undefined, into: Set<string>): void {
    const value = raw?.trim();
    if (!value || value.length < MIN_SECRET_LENGTH || this.configured.has(value) || into.has(value)) return;
    const forms = [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)];
    // A private key's lines are echoed one by one.
    if (value.includes("\n")) forms.push(...value.split("\n").filter((l) => l.length >= 16));
    for (const form of forms) if (form.length >= MIN_SECRET_LENGTH) into.add(form);
    this.pattern = null;
  }

  /** Registers every value of an environment whose variable name says it is a secret, and the named ones. */
  addFromEnv(env: Readonly<Record<string, string | undefined>>, names: Iterable<string> = []): void {
    for (const [name, value] of Object.entries(env)) if (SECRET_ENV_NAME.test(name)) this.add(value);
    for (const name of names) this.add(env[name]);
  }

  size(): number {
    return this.configured.size + this.fetched.size;
  }

  /** The text with every registered value replaced. Longest first, so a value containing another goes whole. */
  scrub(text: string): string {
    if (this.size() === 0) return text;
    this.pattern ??= new RegExp(
      [...this.configured, ...this.fetched]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegExp)
        .join("|"),
      "g",
    );
    return text.replace(this.pattern, REDACTED);
  }
}

/**
 * The process's secrets. Module-level on purpose: sinks are far apart (HTTP, memory, Slack, CLI) and a
 * secret seen by one must be scrubbed by all, whichever object happens to hold the text.
 */
export const secrets = new SecretRegistry();

export interface RedactOptions {
  /** Error bodies: also treat `key`, `token` and `secret` fields as credentials. */
  strict?: boolean;
  registry?: SecretRegistry;
}

/** The text without registered secrets, credential header echoes or token-shaped strings. */
export function redact(text: string, options: RedactOptions = {}): string {
  // Nothing this short can hold a secret or an echo of one: most evidence strings stop here.
  if (text.length < MIN_SECRET_LENGTH) return text;
  let out = (options.registry ?? secrets).scrub(text);
  out = out.replace(options.strict ? STRICT_ECHO : ECHO, (_match, head: string, value: string) =>
    value === REDACTED ? `${head}${value}` : `${head}${REDACTED}`,
  );
  for (const shape of TOKEN_SHAPES)
    out = out.replace(shape, (match, scheme: unknown) =>
      typeof scheme === "string" && /^(Bearer|Splunk|Basic)$/.test(scheme)
        ? `${scheme} ${REDACTED}`
        : REDACTED,
    );
  return out;
}

/** A JSON-like value with every string redacted (keys kept), for evidence data and step records. */
export function redactValue<T>(value: T, options: RedactOptions = {}): T {
  return walk(value, options, 0);
}

function walk<T>(value: T, options: RedactOptions, depth: number): T;
function walk(value: unknown, options: RedactOptions, depth: number): unknown {
  if (typeof value === "string") return redact(value, options);
  if (depth > 32 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => walk(item, options, depth + 1));
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  // A value under a credential's name is one, whatever its shape ("password": "hunter2hunter2").
  for (const [key, item] of Object.entries(value))
    out[key] =
      typeof item === "string" && CREDENTIAL_KEY.test(key) ? REDACTED : walk(item, options, depth + 1);
  return out;
}

const CREDENTIAL_NAME = new RegExp(`^(?:${STRICT_NAMES})$`, "i");
/** Object keys whose string value is a credential; not bare `key`/`token`, which are ordinary data fields. */
const CREDENTIAL_KEY = new RegExp(`^(?:${CREDENTIAL_NAMES})$`, "i");

/** Header names whose value is a credential, to register what a request actually sends. */
export function isCredentialName(name: string): boolean {
  return CREDENTIAL_NAME.test(name);
}

/** Registers the credential parts of an outgoing request: auth headers, secret form fields and query values. */
export function registerRequestSecrets(
  headers: Readonly<Record<string, string>>,
  fields: Iterable<[string, string]> = [],
  registry: SecretRegistry = secrets,
): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!isCredentialName(name)) continue;
    // "Bearer abc": the token alone is what an echo that reformats the header still carries.
    registry.addFetched(value, /^\S+\s+(\S+)$/.exec(value)?.[1]);
  }
  for (const [name, value] of fields) if (isCredentialName(name)) registry.addFetched(value);
}
