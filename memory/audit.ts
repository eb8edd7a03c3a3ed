/**
 * The audit log: keyed, append-only, anchored outside the database. Rows are appended inside the caller's
 * transaction (a savepoint when nested), so a state change and the row that describes it commit together;
 * the head file and the stream only ever see rows that committed.
 */
import { z } from "zod";
import { TriageError, describeError } from "../core/errors.ts";
import { canonicalJson } from "../core/ids.ts";
import type { CaseDatabase } from "./db.ts";
import { GENESIS_HASH, auditRowSchema, rowMac, type AuditRow } from "./audit-chain.ts";
import { type AuditEntry } from "../core/domain.ts";
import {
  headSignedBy,
  loadAuditKey,
  readSignedHead,
  signHead,
  writeSignedHead,
  type AuditKey,
  type AuditKeySource,
  type SignedHead,
} from "./audit-key.ts";
import { createAuditStream, type AuditStream, type AuditStreamConfig } from "./audit-stream.ts";
import { verifyAuditChain, type AuditVerification } from "./audit-verify.ts";

export interface AuditSettings {
  key: AuditKeySource;
  /** The signed head file; null keeps none (a `:memory:` database). */
  headFile: string | null;
  stream?: AuditStreamConfig;
  /** One line per problem that must not fail a triage (stream down, head not advanced). */
  report?: (line: string) => void;
}

/** Where the key and head live when the configuration says nothing: beside the database file. */
export function defaultAuditSettings(databasePath: string): AuditSettings {
  if (databasePath === "" || databasePath === ":memory:")
    return { key: { kind: "ephemeral" }, headFile: null };
  return { key: { kind: "file", path: `${databasePath}.audit-key` }, headFile: `${databasePath}.audit-head` };
}

const lastRowSchema = z.object({ seq: z.number(), hash: z.string(), scheme: z.string() });
const macRowSchema = z.object({ hash: z.string() });
const countRowSchema = z.object({ n: z.number() });

/** Each distinct problem once per process: a stream that is down says so once, not once per row. */
function once(report: (line: string) => void): (line: string) => void {
  const seen = new Set<string>();
  return (line) => {
    if (seen.has(line)) return;
    seen.add(line);
    report(line);
  };
}

const toStderr = (line: string) => void process.stderr.write(`triage: ${line}\n`);

export class AuditLog {
  private readonly db: CaseDatabase;
  private readonly now: () => Date;
  private readonly settings: AuditSettings;
  private readonly report: (line: string) => void;
  private readonly stream: AuditStream | null;
  private key: AuditKey | null = null;
  /** Appended by this process but maybe not committed yet (inside an outer transaction). */
  private pending: AuditRow[] = [];

  constructor(db: CaseDatabase, options: { now: () => Date; settings: AuditSettings }) {
    this.db = db;
    this.now = options.now;
    this.settings = options.settings;
    this.report = once(options.settings.report ?? toStderr);
    this.stream = options.settings.stream ? createAuditStream(options.settings.stream, this.report) : null;
  }

  private signingKey(): AuditKey {
    this.key ??= loadAuditKey(this.settings.key, { create: true });
    if (!this.key) throw new TriageError("INTERNAL", "no audit key");
    return this.key;
  }

  private lastRow(): z.infer<typeof lastRowSchema> | null {
    const row = this.db.prepare("SELECT seq, hash, scheme FROM audit_log ORDER BY seq DESC LIMIT 1").get();
    return row === undefined ? null : lastRowSchema.parse(row);
  }

  private macAt(seq: number): string | null {
    const row = this.db.prepare("SELECT hash FROM audit_log WHERE seq = ?").get(seq);
    return row === undefined ? null : macRowSchema.parse(row).hash;
  }

  /** Appends one row. Safe inside an outer transaction: it becomes a savepoint of it. */
  append(entry: AuditEntry): void {
    const key = this.signingKey();
    const at = this.now().toISOString();
    const payload = canonicalJson(entry.payload);
    // Immediate when outermost: take the write lock before reading the last MAC, so no two processes fork
    // the chain. Nested, better-sqlite3 makes it a savepoint of the caller's (immediate) transaction.
    this.db
      .transaction(() => {
        const last = this.lastRow();
        // The first keyed row: its head file is written now, under the write lock, for the log as it
        // stands. Written after commit instead, another process committing meanwhile would find keyed rows
        // and no head file, and refuse to start one (seen with batch worker processes on a new database).
        this.startHeadFile(key, last);
        const seq = (last?.seq ?? 0) + 1;
        const prev = last?.hash ?? GENESIS_HASH;
        const content = { seq, at, actor: entry.actor, event: entry.event, case_id: entry.caseId, payload };
        const hash = rowMac(key, prev, content);
        this.db
          .prepare(
            "INSERT INTO audit_log (seq, at, actor, event, case_id, payload, prev_hash, hash, scheme) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'hmac-sha256')",
          )
          .run(seq, at, entry.actor, entry.event, entry.caseId, payload, prev, hash);
        this.pending.push(auditRowSchema.parse({ ...content, prev_hash: prev, hash, scheme: "hmac-sha256" }));
      })
      .immediate();
    this.afterCommit();
  }

  /** Runs `work` in one immediate transaction; the head file and stream follow once it has committed. */
  transaction<T>(work: () => T): T {
    try {
      return this.db.transaction(work).immediate();
    } finally {
      this.afterCommit();
    }
  }

  /**
   * Once no transaction is open: keeps the pending rows that really committed (an outer rollback drops
   * the others), advances the head file, feeds the stream. Never throws: the rows are already safe.
   */
  afterCommit(): void {
    if (this.db.inTransaction || !this.pending.length) return;
    const rows = this.pending.splice(0).filter((r) => this.macAt(r.seq) === r.hash);
    if (!rows.length) return;
    try {
      this.advanceHead(rows);
    } catch (error) {
      this.report(`audit head file not updated: ${describeError(error)}`);
    }
    this.stream?.write(rows);
  }

  /** Writes the head file of a log with no keyed row yet, as it stands, when there is none. */
  private startHeadFile(key: AuditKey, last: z.infer<typeof lastRowSchema> | null): void {
    const path = this.settings.headFile;
    if (path !== null && last?.scheme !== "hmac-sha256" && !readSignedHead(path, "audit head file"))
      writeSignedHead(path, signHead(key, { kind: "head", ...this.headFields(last) }));
  }

  /** Moves the head file forward only when the log still extends it: a truncation stays visible. */
  private advanceHead(committed: readonly AuditRow[]): void {
    const path = this.settings.headFile;
    const first = committed[0];
    if (path === null || !first) return;
    const key = this.signingKey();
    const current = readSignedHead(path, "audit head file");
    if (current) {
      if (current.keyId !== key.id || !headSignedBy(key, current))
        return this.report(`audit head file ${path} is not signed by the audit key; left as it is`);
      if (current.seq > 0 && this.macAt(current.seq) !== current.mac)
        return this.report(
          `the audit log no longer extends its head file (seq ${current.seq}); left as it is`,
        );
    } else if (first.seq > 1) {
      const before = this.db.prepare("SELECT scheme FROM audit_log WHERE seq = ?").get(first.seq - 1);
      if (before !== undefined && lastRowSchema.pick({ scheme: true }).parse(before).scheme !== "sha256")
        return this.report(`audit head file ${path} is missing while keyed entries exist; not recreating it`);
    }
    const last = this.lastRow();
    if (!last || (current && last.seq <= current.seq)) return;
    // The log extends the head, and seq is dense: the rows since are last.seq - current.seq. Counting
    // them all instead was a table scan per commit, ~N ms at a million entries.
    const count = current ? current.count + (last.seq - current.seq) : undefined;
    writeSignedHead(path, signHead(key, { kind: "head", ...this.headFields(last, count) }));
  }

  private headFields(
    last: { seq: number; hash: string } | null,
    known?: number,
  ): {
    seq: number;
    mac: string;
    count: number;
    at: string;
  } {
    const count =
      known ?? countRowSchema.parse(this.db.prepare("SELECT COUNT(*) AS n FROM audit_log").get()).n;
    return { seq: last?.seq ?? 0, mac: last?.hash ?? GENESIS_HASH, count, at: this.now().toISOString() };
  }

  /** The signed head as of now, for `triage audit anchor`: keep it where the database's writers cannot. */
  anchor(): SignedHead {
    const key = this.signingKey();
    const last = this.lastRow();
    // The first anchor of a legacy-only log makes the key: give it its head file too, so the pair holds.
    this.startHeadFile(key, last);
    return signHead(key, { kind: "anchor", ...this.headFields(last) });
  }

  /** Recomputes the chain and checks the head file and, when given, an exported anchor. */
  verify(options: { anchor?: SignedHead } = {}): AuditVerification {
    const source = this.settings.key;
    const key = this.key ?? loadAuditKey(source, { create: false });
    const headFile = this.settings.headFile
      ? readSignedHead(this.settings.headFile, "audit head file")
      : null;
    const keyed = this.db.prepare("SELECT 1 FROM audit_log WHERE scheme = 'hmac-sha256' LIMIT 1").get();
    if (keyed !== undefined && !key)
      throw new TriageError(
        "BAD_INPUT",
        `the audit log has keyed entries but no audit key was found (${source.kind === "file" ? source.path : "TRIAGE_AUDIT_KEY"})`,
      );
    return verifyAuditChain(this.db, {
      key,
      headFile,
      // Key file and head file are made together on first append: a key file alone means a deleted head.
      headRequired:
        this.settings.headFile !== null && (keyed !== undefined || (source.kind === "file" && key !== null)),
      anchor: options.anchor ?? null,
    });
  }
}
