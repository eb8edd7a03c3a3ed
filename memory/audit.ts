/**
 * The audit log: keyed, append-only, anchored outside the database. Rows are appended inside the caller's
 * driver transaction, so a state change and the row that describes it commit together; the head file and
 * the stream only ever see rows that committed (driver.afterCommit). Reading the last row and appending
 * the next is safe across processes on both engines: a driver transaction holds the writers' lock
 * (SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory lock), so the chain never forks.
 */
import { z } from "zod";
import { TriageError, describeError } from "../core/errors.ts";
import { canonicalJson } from "../core/ids.ts";
import type { AuditEntries } from "../core/ports.ts";
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
import type { SqlDriver, SqlExecutor } from "./sql/driver.ts";
import { isPostgresUrl } from "./sql/location.ts";

export interface AuditSettings {
  key: AuditKeySource;
  /** The signed head file; null keeps none (a `:memory:` database). */
  headFile: string | null;
  stream?: AuditStreamConfig;
  /** One line per problem that must not fail a triage (stream down, head not advanced). */
  report?: (line: string) => void;
  /** The head file moves at most this often (default DEFAULT_HEAD_INTERVAL_MS); 0 after every commit. */
  headIntervalMs?: number;
}

/** How often the head file may move: often enough to lag a run by a fraction of a second, no more. */
export const DEFAULT_HEAD_INTERVAL_MS = 250;

/**
 * Appends audit rows inside the caller's driver transaction (`driver.transaction(...)`), for stores that
 * share case memory's database and must commit with its audit rows (campaigns). Called outside one, the
 * rows commit in a transaction of their own.
 */
export interface Auditor {
  append(entries: AuditEntries): Promise<void>;
}

/**
 * Where the key and head live when the configuration says nothing: beside a database file. A `:memory:`
 * database, or a PostgreSQL URL given without settings (tests), gets a key for this process and no head.
 */
export function defaultAuditSettings(databasePath: string): AuditSettings {
  if (databasePath === "" || databasePath === ":memory:" || isPostgresUrl(databasePath))
    return { key: { kind: "ephemeral" }, headFile: null };
  return { key: { kind: "file", path: `${databasePath}.audit-key` }, headFile: `${databasePath}.audit-head` };
}

const lastRowSchema = z.object({ seq: z.number(), hash: z.string(), scheme: z.string() });
type LastRow = z.infer<typeof lastRowSchema>;
const macRowSchema = z.object({ hash: z.string() });
const schemeRowSchema = z.object({ scheme: z.string() });
const countRowSchema = z.object({ n: z.number() });

const LAST_ROW = "SELECT seq, hash, scheme FROM audit_log ORDER BY seq DESC LIMIT 1";
const INSERT_ROW =
  "INSERT INTO audit_log (seq, at, actor, event, case_id, payload, prev_hash, hash, scheme) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'hmac-sha256')";

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

// Array.isArray does not narrow a readonly array out of a union: this guard does.
const isEntryList = (audit: AuditEntries): audit is readonly AuditEntry[] => Array.isArray(audit);

/** The rows a change carries, as a list. */
export function entriesOf(audit: AuditEntries | undefined): readonly AuditEntry[] {
  if (audit === undefined) return [];
  return isEntryList(audit) ? audit : [audit];
}

export class AuditLog implements Auditor {
  private readonly driver: SqlDriver;
  private readonly now: () => Date;
  private readonly settings: AuditSettings;
  private readonly report: (line: string) => void;
  private readonly stream: AuditStream | null;
  private key: AuditKey | null = null;
  /** Committed rows not yet given to the head file and the stream. */
  private unpublished: AuditRow[] = [];
  private scheduled = false;
  /** Set while committed rows wait for the head interval to pass. */
  private heldTimer: NodeJS.Timeout | null = null;
  private lastPublishedAt = 0;
  private readonly headIntervalMs: number;
  /** The head file and stream work in flight, in commit order. */
  private tail: Promise<void> = Promise.resolve();

  constructor(driver: SqlDriver, options: { now: () => Date; settings: AuditSettings }) {
    this.driver = driver;
    this.now = options.now;
    this.settings = options.settings;
    this.headIntervalMs = options.settings.headIntervalMs ?? DEFAULT_HEAD_INTERVAL_MS;
    this.report = once(options.settings.report ?? toStderr);
    this.stream = options.settings.stream ? createAuditStream(options.settings.stream, this.report) : null;
  }

  private signingKey(): AuditKey {
    this.key ??= loadAuditKey(this.settings.key, { create: true });
    if (!this.key) throw new TriageError("INTERNAL", "no audit key");
    return this.key;
  }

  private async lastRow(sql: SqlExecutor): Promise<LastRow | null> {
    const row = await sql.get(LAST_ROW);
    return row === undefined ? null : lastRowSchema.parse(row);
  }

  private async macAt(seq: number): Promise<string | null> {
    const row = await this.driver.get("SELECT hash FROM audit_log WHERE seq = ?", [seq]);
    return row === undefined ? null : macRowSchema.parse(row).hash;
  }

  private nextRow(key: AuditKey, last: LastRow | null, entry: AuditEntry): AuditRow {
    const at = this.now().toISOString();
    const seq = (last?.seq ?? 0) + 1;
    const prev = last?.hash ?? GENESIS_HASH;
    const content = {
      seq,
      at,
      actor: entry.actor,
      event: entry.event,
      case_id: entry.caseId,
      payload: canonicalJson(entry.payload),
    };
    const hash = rowMac(key, prev, content);
    return auditRowSchema.parse({ ...content, prev_hash: prev, hash, scheme: "hmac-sha256" });
  }

  private static insertParams(row: AuditRow): Array<string | number | null> {
    return [row.seq, row.at, row.actor, row.event, row.case_id, row.payload, row.prev_hash, row.hash];
  }

  /**
   * Appends rows inside the caller's transaction, or in one of their own; the head file and stream
   * follow the commit.
   */
  async append(entries: AuditEntries | undefined): Promise<void> {
    const list = entriesOf(entries);
    if (!list.length) return;
    const key = this.signingKey();
    const work = async () => {
      let last = await this.lastRow(this.driver);
      // The first keyed row: its head file is written now, under the write lock, for the log as it
      // stands. Written after commit instead, another process committing meanwhile would find keyed rows
      // and no head file, and refuse to start one (seen with batch worker processes on a new database).
      await this.startHeadFile(key, last);
      const appended: AuditRow[] = [];
      for (const entry of list) {
        const row = this.nextRow(key, last, entry);
        await this.driver.run(INSERT_ROW, AuditLog.insertParams(row));
        appended.push(row);
        last = row;
      }
      this.driver.afterCommit(() => this.published(appended));
    };
    // Inside a transaction the rows simply join it: a savepoint would cost two more round trips.
    if (this.driver.inTransaction()) await work();
    else {
      await this.driver.transaction(work);
      await this.caughtUp();
    }
  }

  /**
   * Resolves once the head file and stream work in flight is done. Rows held back by the head interval
   * (see published) stay held: a write does not wait for them. settled() publishes them too.
   */
  async caughtUp(): Promise<void> {
    let tail: Promise<void>;
    do {
      tail = this.tail;
      await tail;
    } while (tail !== this.tail);
  }

  /** Resolves once every committed row so far is in the head file and the stream (held rows included). */
  async settled(): Promise<void> {
    if (this.heldTimer) {
      clearTimeout(this.heldTimer);
      this.heldTimer = null;
      this.schedulePublish();
    }
    await this.caughtUp();
  }

  /**
   * Queues committed rows for the head file and stream. Never throws: the rows are already safe. The head
   * file moves at most once per headIntervalMs: reading, signing and renaming it after every commit was a
   * quarter of a lab alert's time. A head behind the log still verifies (the log extends it); what the
   * interval costs is that a truncation of the last interval's rows by someone who can also stop this
   * process is not seen. Rows within the interval wait on an unref'd timer, and settled() (closing case
   * memory, anchors, verify) publishes them at once.
   */
  private published(rows: readonly AuditRow[]): void {
    if (!rows.length) return;
    this.unpublished.push(...rows);
    if (this.scheduled || this.heldTimer) return;
    const wait = this.lastPublishedAt + this.headIntervalMs - Date.now();
    if (wait <= 0) return this.schedulePublish();
    this.heldTimer = setTimeout(() => {
      this.heldTimer = null;
      this.schedulePublish();
    }, wait);
    this.heldTimer.unref();
  }

  private schedulePublish(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.tail = this.tail.then(async () => {
      this.scheduled = false;
      this.lastPublishedAt = Date.now();
      const batch = this.unpublished.splice(0).sort((a, b) => a.seq - b.seq);
      if (!batch.length) return;
      try {
        // The head file vouches for these rows, and the stream sends them off the machine: both only once
        // the rows are on disk, or a power cut could leave a head ahead of the log (a false truncation).
        await this.driver.flush();
        await this.advanceHead(batch);
      } catch (error) {
        this.report(`audit head file not updated: ${describeError(error)}`);
      }
      this.stream?.write(batch);
    });
  }

  /** Writes the head file of a log with no keyed row yet, as it stands, when there is none. */
  private async startHeadFile(key: AuditKey, last: LastRow | null): Promise<void> {
    const path = this.settings.headFile;
    if (path !== null && last?.scheme !== "hmac-sha256" && !readSignedHead(path, "audit head file")) {
      await this.driver.flush();
      writeSignedHead(path, signHead(key, { kind: "head", ...this.headFields(last, await this.count()) }));
    }
  }

  private async count(): Promise<number> {
    return countRowSchema.parse(await this.driver.get("SELECT COUNT(*) AS n FROM audit_log")).n;
  }

  /** Moves the head file forward only when the log still extends it: a truncation stays visible. */
  private async advanceHead(committed: readonly AuditRow[]): Promise<void> {
    const path = this.settings.headFile;
    const first = committed[0];
    if (path === null || !first) return;
    const key = this.signingKey();
    const current = readSignedHead(path, "audit head file");
    if (current) {
      if (current.keyId !== key.id || !headSignedBy(key, current))
        return this.report(`audit head file ${path} is not signed by the audit key; left as it is`);
      if (current.seq > 0 && (await this.macAt(current.seq)) !== current.mac)
        return this.report(
          `the audit log no longer extends its head file (seq ${current.seq}); left as it is`,
        );
    } else if (first.seq > 1) {
      const before = await this.driver.get("SELECT scheme FROM audit_log WHERE seq = ?", [first.seq - 1]);
      if (before !== undefined && schemeRowSchema.parse(before).scheme !== "sha256")
        return this.report(`audit head file ${path} is missing while keyed entries exist; not recreating it`);
    }
    const last = await this.lastRow(this.driver);
    if (!last || (current && last.seq <= current.seq)) return;
    // The log extends the head, and seq is dense: the rows since are last.seq - current.seq. Counting
    // them all instead was a table scan per commit, ~N ms at a million entries.
    const count = current ? current.count + (last.seq - current.seq) : await this.count();
    // Another process may have moved the head past `last` while this one read the log: never move it back.
    const now = readSignedHead(path, "audit head file");
    if (now && now.keyId === key.id && now.seq >= last.seq) return;
    writeSignedHead(path, signHead(key, { kind: "head", ...this.headFields(last, count) }));
  }

  private headFields(
    last: { seq: number; hash: string } | null,
    count: number,
  ): { seq: number; mac: string; count: number; at: string } {
    return { seq: last?.seq ?? 0, mac: last?.hash ?? GENESIS_HASH, count, at: this.now().toISOString() };
  }

  /** The signed head as of now, for `triage audit anchor`: keep it where the database's writers cannot. */
  async anchor(): Promise<SignedHead> {
    await this.settled();
    const key = this.signingKey();
    return this.driver.transaction(async () => {
      const last = await this.lastRow(this.driver);
      // The first anchor of a legacy-only log makes the key: give it its head file too, so the pair holds.
      await this.startHeadFile(key, last);
      return signHead(key, { kind: "anchor", ...this.headFields(last, await this.count()) });
    });
  }

  /** Recomputes the chain and checks the head file and, when given, an exported anchor. */
  async verify(options: { anchor?: SignedHead } = {}): Promise<AuditVerification> {
    await this.settled();
    const source = this.settings.key;
    const key = this.key ?? loadAuditKey(source, { create: false });
    const headFile = this.settings.headFile
      ? readSignedHead(this.settings.headFile, "audit head file")
      : null;
    const keyed = await this.driver.get(
      "SELECT 1 AS one FROM audit_log WHERE scheme = 'hmac-sha256' LIMIT 1",
    );
    if (keyed !== undefined && !key)
      throw new TriageError(
        "BAD_INPUT",
        `the audit log has keyed entries but no audit key was found (${source.kind === "file" ? source.path : "TRIAGE_AUDIT_KEY"})`,
      );
    return verifyAuditChain(this.driver, {
      key,
      headFile,
      // Key file and head file are made together on first append: a key file alone means a deleted head.
      headRequired:
        this.settings.headFile !== null && (keyed !== undefined || (source.kind === "file" && key !== null)),
      anchor: options.anchor ?? null,
    });
  }
}
