/**
 * The tamper suite: every way someone with write access to the case database (but not to the audit key)
 * might rewrite history, each caught by verify with the first bad seq; an untouched log verifies.
 */
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { isTriageError } from "../core/errors.ts";
import { GENESIS_HASH, auditRowSchema, legacyHash, rowMac, type AuditRow } from "./audit-chain.ts";
import { parseAuditKey, readSignedHead, signHead, writeSignedHead } from "./audit-key.ts";
import { AuditLog, defaultAuditSettings, type AuditSettings } from "./audit.ts";
import { SqliteCaseMemory } from "./case-store.ts";
import { openCaseDatabase } from "./db.ts";
import { createSqliteDriver } from "./sql/sqlite-driver.ts";
import { migrationSql, migrations } from "./migrations.ts";

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

let clock = Date.parse("2026-12-01T08:00:00Z");
const now = () => new Date((clock += 1000));

/** A case database with `rows` audit entries written the normal way, key and head beside it. */
async function logWith(rows: number, settings?: (dir: string) => Partial<AuditSettings>) {
  const dir = mkdtempSync(join(tmpdir(), "soc-triage-audit-"));
  scratch.push(dir);
  const path = join(dir, "cases.db");
  const audit: AuditSettings = settings
    ? { key: { kind: "file", path: `${path}.audit-key` }, headFile: `${path}.audit-head`, ...settings(dir) }
    : defaultAuditSettings(path);
  const open = () => {
    const db = openCaseDatabase(path);
    return { db, memory: new SqliteCaseMemory(db, { now, audit }) };
  };
  // Written through case memory itself, so every test can set its log up in one line.
  const writer = open();
  for (let i = 1; i <= rows; i++)
    await writer.memory.audit({
      actor: "engine",
      event: i === 4 ? "approval.denied" : `event.${i}`,
      caseId: "case-1",
      payload: { i },
    });
  writer.db.close();
  return {
    dir,
    path,
    keyFile: `${path}.audit-key`,
    headFile: `${path}.audit-head`,
    /** Verifies from a fresh connection, as `triage audit verify` would. */
    async verify(options: Parameters<SqliteCaseMemory["verifyAudit"]>[0] = {}) {
      const opened = open();
      try {
        return await opened.memory.verifyAudit(options);
      } finally {
        opened.db.close();
      }
    },
    async anchor() {
      const opened = open();
      try {
        return await opened.memory.auditAnchor();
      } finally {
        opened.db.close();
      }
    },
    /** Raw SQL with the append-only triggers dropped: what an attacker with the file can do. */
    tamper(work: (db: Database.Database) => void) {
      const db = new Database(path);
      db.exec("DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;");
      work(db);
      db.close();
    },
    rows(): AuditRow[] {
      const db = new Database(path, { readonly: true });
      const all = db
        .prepare("SELECT * FROM audit_log ORDER BY seq")
        .all()
        .map((r) => auditRowSchema.parse(r));
      db.close();
      return all;
    },
  };
}

/** Rewrites every row from `from` on with a chain computed by `hash`: the attacker's recomputation. */
function rechain(
  db: Database.Database,
  from: number,
  hash: (prev: string, row: AuditRow) => { hash: string; scheme: AuditRow["scheme"] },
) {
  const rows = db
    .prepare("SELECT * FROM audit_log ORDER BY seq")
    .all()
    .map((r) => auditRowSchema.parse(r));
  let prev = GENESIS_HASH;
  for (const row of rows) {
    if (row.seq >= from) {
      const next = hash(prev, row);
      db.prepare("UPDATE audit_log SET prev_hash = ?, hash = ?, scheme = ? WHERE seq = ?").run(
        prev,
        next.hash,
        next.scheme,
        row.seq,
      );
      prev = next.hash;
    } else prev = row.hash;
  }
}

const attackerKey = parseAuditKey(randomBytes(32).toString("hex"), "attacker");

describe("audit log: keyed chain", () => {
  it("an untouched log verifies, checking its head file", async () => {
    const log = await logWith(6);
    expect(await log.verify()).toMatchObject({
      ok: true,
      entries: 6,
      keyed: 6,
      legacy: 0,
      checked: ["head file"],
    });
    expect(statSync(log.keyFile).mode & 0o777).toBe(0o600);
    expect(readSignedHead(log.headFile, "head")).toMatchObject({ kind: "head", seq: 6, count: 6 });
  });

  it("an edited payload is caught at its seq", async () => {
    const log = await logWith(6);
    log.tamper((db) => db.prepare(`UPDATE audit_log SET payload = '{"i":99}' WHERE seq = 3`).run());
    expect(await log.verify()).toMatchObject({ ok: false, problem: "ALTERED", firstBadSeq: 3 });
  });

  it("a deleted middle row is caught at the missing seq", async () => {
    const log = await logWith(6);
    log.tamper((db) => db.prepare("DELETE FROM audit_log WHERE seq = 3").run());
    expect(await log.verify()).toMatchObject({ ok: false, problem: "MISSING_SEQ", firstBadSeq: 3 });
  });

  it("deleted last rows are caught by the head file", async () => {
    const log = await logWith(6);
    log.tamper((db) => db.prepare("DELETE FROM audit_log WHERE seq >= 5").run());
    expect(await log.verify()).toMatchObject({ ok: false, problem: "TRUNCATED", firstBadSeq: 5 });
  });

  it("deleted last rows stay visible after new rows are appended (the head does not move past a cut)", async () => {
    const log = await logWith(6);
    log.tamper((db) => db.prepare("DELETE FROM audit_log WHERE seq >= 5").run());
    const db = openCaseDatabase(log.path);
    const lines: string[] = [];
    const memory = new SqliteCaseMemory(db, {
      now,
      audit: {
        key: { kind: "file", path: log.keyFile },
        headFile: log.headFile,
        report: (l) => lines.push(l),
      },
    });
    await memory.audit({ actor: "engine", event: "after.cut", caseId: null, payload: {} });
    await memory.audit({ actor: "engine", event: "after.cut", caseId: null, payload: {} });
    await memory.audit({ actor: "engine", event: "after.cut", caseId: null, payload: {} });
    db.close();
    expect(lines).toEqual([expect.stringMatching(/no longer extends its head file \(seq 6\)/)]);
    expect(await log.verify()).toMatchObject({ ok: false, problem: "HEAD_MISMATCH", firstBadSeq: 6 });
  });

  it("a truncated table is caught, with or without its head file", async () => {
    const log = await logWith(6);
    log.tamper((db) => db.prepare("DELETE FROM audit_log").run());
    expect(await log.verify()).toMatchObject({ ok: false, problem: "TRUNCATED", firstBadSeq: 1 });
    unlinkSync(log.headFile);
    expect(await log.verify()).toMatchObject({ ok: false, problem: "HEAD_MISSING" });
  });

  it("a chain recomputed with another key is caught at its first row", async () => {
    const log = await logWith(6);
    log.tamper((db) =>
      rechain(db, 1, (prev, row) => ({ hash: rowMac(attackerKey, prev, row), scheme: "hmac-sha256" })),
    );
    expect(await log.verify()).toMatchObject({ ok: false, problem: "ALTERED", firstBadSeq: 1 });
  });

  it("a chain recomputed as unkeyed SHA-256 is caught, from an edit on or for the whole log", async () => {
    const log = await logWith(6);
    log.tamper((db) => {
      db.prepare(`UPDATE audit_log SET payload = '{"i":99}' WHERE seq = 3`).run();
      rechain(db, 3, (prev, row) => ({ hash: legacyHash(prev, row), scheme: "sha256" }));
    });
    expect(await log.verify()).toMatchObject({ ok: false, problem: "UNKEYED_AFTER_KEYED", firstBadSeq: 3 });
    log.tamper((db) => rechain(db, 1, (prev, row) => ({ hash: legacyHash(prev, row), scheme: "sha256" })));
    expect(await log.verify()).toMatchObject({ ok: false, problem: "HEAD_MISMATCH", firstBadSeq: 6 });
    unlinkSync(log.headFile);
    expect(await log.verify()).toMatchObject({ ok: false, problem: "HEAD_MISSING" });
  });

  it("a forged approval.granted is caught, appended or in place of a denial", async () => {
    const log = await logWith(6);
    const last = log.rows().at(-1);
    log.tamper((db) => {
      const forged = {
        seq: 7,
        at: new Date().toISOString(),
        actor: "person:mallory",
        event: "approval.granted",
        case_id: "case-1",
        payload: "{}",
      };
      db.prepare(
        "INSERT INTO audit_log (seq, at, actor, event, case_id, payload, prev_hash, hash, scheme) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'hmac-sha256')",
      ).run(
        forged.seq,
        forged.at,
        forged.actor,
        forged.event,
        forged.case_id,
        forged.payload,
        last?.hash,
        rowMac(attackerKey, last?.hash ?? "", forged),
      );
    });
    expect(await log.verify()).toMatchObject({ ok: false, problem: "ALTERED", firstBadSeq: 7 });
    const other = await logWith(6);
    other.tamper((db) => db.prepare("UPDATE audit_log SET event = 'approval.granted' WHERE seq = 4").run());
    expect(await other.verify()).toMatchObject({ ok: false, problem: "ALTERED", firstBadSeq: 4 });
  });

  it("reordered rows are caught, whether contents or seqs are swapped", async () => {
    const log = await logWith(6);
    log.tamper((db) => {
      db.prepare("UPDATE audit_log SET seq = 100 WHERE seq = 2").run();
      db.prepare("UPDATE audit_log SET seq = 2 WHERE seq = 3").run();
      db.prepare("UPDATE audit_log SET seq = 3 WHERE seq = 100").run();
    });
    expect(await log.verify()).toMatchObject({ ok: false, problem: "UNLINKED", firstBadSeq: 2 });
  });

  it("a swapped key file is caught at the first row, and a full re-chain under it by an anchor", async () => {
    const log = await logWith(6);
    const anchor = await log.anchor();
    writeFileSync(log.keyFile, `${randomBytes(32).toString("hex")}\n`);
    expect(await log.verify()).toMatchObject({ ok: false, problem: "ALTERED", firstBadSeq: 1 });
    // The attacker who controls the key file re-chains everything and re-signs the head file: only an
    // anchor kept elsewhere can tell.
    const swapped = parseAuditKey(readFileSync(log.keyFile, "utf8"), "swapped");
    log.tamper((db) =>
      rechain(db, 1, (prev, row) => ({ hash: rowMac(swapped, prev, row), scheme: "hmac-sha256" })),
    );
    const end = log.rows().at(-1);
    writeSignedHead(
      log.headFile,
      signHead(swapped, { kind: "head", seq: 6, mac: end?.hash ?? "", count: 6, at: "x" }),
    );
    expect(await log.verify()).toMatchObject({ ok: true });
    expect(await log.verify({ anchor })).toMatchObject({ ok: false, problem: "WRONG_KEY" });
  });

  it("a head file rolled back to an older copy still loses to an anchor", async () => {
    const log = await logWith(4);
    copyFileSync(log.headFile, join(log.dir, "old-head"));
    const db = openCaseDatabase(log.path);
    const memory = new SqliteCaseMemory(db, { now });
    await memory.audit({ actor: "engine", event: "event.5", caseId: null, payload: {} });
    await memory.audit({ actor: "engine", event: "event.6", caseId: null, payload: {} });
    const anchor = await memory.auditAnchor();
    db.close();
    log.tamper((raw) => raw.prepare("DELETE FROM audit_log WHERE seq >= 5").run());
    copyFileSync(join(log.dir, "old-head"), log.headFile);
    expect(await log.verify()).toMatchObject({ ok: true });
    expect(await log.verify({ anchor })).toMatchObject({ ok: false, problem: "TRUNCATED", firstBadSeq: 5 });
  });

  it("a forged head file is refused", async () => {
    const log = await logWith(3);
    writeSignedHead(
      log.headFile,
      signHead(attackerKey, { kind: "head", seq: 3, mac: log.rows()[2]?.hash ?? "", count: 3, at: "x" }),
    );
    expect(await log.verify()).toMatchObject({ ok: false, problem: "WRONG_KEY" });
  });

  it("keyed rows without their key are a configuration error, not a pass", async () => {
    const log = await logWith(2);
    unlinkSync(log.keyFile);
    try {
      await log.verify();
      expect.unreachable();
    } catch (error) {
      expect(isTriageError(error) && error.code).toBe("BAD_INPUT");
    }
  });
});

describe("audit log: transactions", () => {
  it("a change's audit rows commit with it, or not at all", async () => {
    const log = await logWith(2);
    const db = openCaseDatabase(log.path);
    const memory = new SqliteCaseMemory(db, { now });
    const row = (event: string, payload: Record<string, unknown> = {}) => ({
      actor: "engine",
      event,
      caseId: null,
      payload,
    });
    const alert = {
      id: "A-1",
      source: "lab",
      family: "email" as const,
      type: "user_reported_phish",
      title: "t",
      description: "",
      severity: "medium" as const,
      createdAt: now().toISOString(),
      observables: [],
      raw: {},
    };
    const caseId = await memory.createCase(alert, { reasoner: "offline" }, (id) => ({
      ...row("created"),
      caseId: id,
    }));
    // The last row cannot be written (a BigInt has no JSON): the status change and the first row roll back.
    await expect(
      memory.setStatus(caseId, "failed", {}, [row("rolled.back"), row("unwritable", { n: 1n })]),
    ).rejects.toThrow();
    expect(await memory.getCase(caseId)).toMatchObject({ status: "investigating" });
    expect(
      await memory.takeCase(caseId, "nobody", 60_000, { statuses: ["closed"], audit: row("not.taken") }),
    ).toBe(false);
    await memory.setStatus(caseId, "closed", {}, [row("kept"), row("kept.too")]);
    await memory.audit(row("after"));
    db.close();
    expect(log.rows().map((r) => r.event)).toEqual([
      "event.1",
      "event.2",
      "created",
      "kept",
      "kept.too",
      "after",
    ]);
    expect(await log.verify()).toMatchObject({ ok: true, entries: 6 });
    expect(readSignedHead(log.headFile, "head")).toMatchObject({ seq: 6 });
  });
});

describe("audit log: processes starting on a new database", () => {
  it("a second process committing before the first has written the head file starts no quarrel", async () => {
    const dir = mkdtempSync(join(tmpdir(), "soc-triage-audit-"));
    scratch.push(dir);
    const path = join(dir, "cases.db");
    const lines: string[] = [];
    const settings: AuditSettings = { ...defaultAuditSettings(path), report: (l) => lines.push(l) };
    const [dbA, dbB] = [openCaseDatabase(path), openCaseDatabase(path)];
    const [a, b] = [
      new AuditLog(createSqliteDriver(dbA, path), { now, settings }),
      new AuditLog(createSqliteDriver(dbB, path), { now, settings }),
    ];
    const entry = (event: string) => ({ actor: "engine", event, caseId: null, payload: {} });
    // A's row commits in a synchronous transaction: its head file follows only when A flushes.
    dbA.transaction(() => a.appendSqlite(dbA, entry("a.1")))();
    await b.append(entry("b.1"));
    await a.flushSqlite(dbA);
    await b.append(entry("b.2"));
    dbA.close();
    dbB.close();
    expect(lines).toEqual([]);
    expect(readSignedHead(settings.headFile ?? "", "head")).toMatchObject({ seq: 3, count: 3 });
  });
});

describe("audit log: legacy rows", () => {
  function legacyDatabase(path: string, rows: number): void {
    const db = new Database(path);
    db.exec(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    );
    for (const m of migrations.filter((m) => m.version <= 5)) {
      db.exec(migrationSql(m, "sqlite"));
      db.prepare("INSERT INTO schema_migrations VALUES (?, ?, ?)").run(
        m.version,
        m.name,
        "2026-01-01T00:00:00Z",
      );
    }
    let prev = GENESIS_HASH;
    for (let i = 1; i <= rows; i++) {
      const row = {
        at: `2026-01-0${i}T00:00:00Z`,
        actor: "engine",
        event: `old.${i}`,
        case_id: null,
        payload: "{}",
      };
      const hash = legacyHash(prev, row);
      db.prepare(
        "INSERT INTO audit_log (at, actor, event, case_id, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ).run(row.at, row.actor, row.event, row.case_id, row.payload, prev, hash);
      prev = hash;
    }
    db.close();
  }

  it("verifies old rows as an unkeyed segment that the first keyed row seals", async () => {
    const dir = mkdtempSync(join(tmpdir(), "soc-triage-audit-"));
    scratch.push(dir);
    const path = join(dir, "cases.db");
    legacyDatabase(path, 3);
    let db = openCaseDatabase(path);
    let memory = new SqliteCaseMemory(db, { now });
    expect(await memory.verifyAudit()).toMatchObject({ ok: true, entries: 3, legacy: 3, keyed: 0 });
    expect(existsSync(`${path}.audit-key`)).toBe(false);
    // The first anchor makes the key and a head over the legacy rows, which verify then checks.
    expect(await memory.auditAnchor()).toMatchObject({ kind: "anchor", seq: 3, count: 3 });
    expect(await memory.verifyAudit()).toMatchObject({ ok: true, legacy: 3, checked: ["head file"] });
    await memory.audit({ actor: "engine", event: "new.1", caseId: null, payload: {} });
    await memory.audit({ actor: "engine", event: "new.2", caseId: null, payload: {} });
    expect(await memory.verifyAudit()).toMatchObject({
      ok: true,
      entries: 5,
      legacy: 3,
      keyed: 2,
      checked: ["head file"],
    });
    db.close();

    // Rewriting a legacy row and recomputing the legacy chain breaks the link into the keyed chain.
    const raw = new Database(path);
    raw.exec("DROP TRIGGER audit_log_no_update");
    raw.prepare("UPDATE audit_log SET event = 'approval.granted' WHERE seq = 2").run();
    rechain(raw, 2, (prev, row) =>
      row.scheme === "sha256"
        ? { hash: legacyHash(prev, row), scheme: "sha256" }
        : { hash: row.hash, scheme: row.scheme },
    );
    raw.close();
    db = openCaseDatabase(path);
    memory = new SqliteCaseMemory(db, { now });
    // The attacker relinked row 4 to the new legacy hash, which its MAC (over that link) refuses.
    expect(await memory.verifyAudit()).toMatchObject({ ok: false, problem: "ALTERED", firstBadSeq: 4 });
    db.close();
  });
});

describe("audit log: stream", () => {
  it("writes each committed row as one JSON line with its MAC, and over syslog UDP", async () => {
    const socket = createSocket("udp4");
    const received: string[] = [];
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    socket.on("message", (m) => received.push(m.toString("utf8")));
    const port = socket.address().port;
    const log = await logWith(2, (dir) => ({
      stream: { jsonl: join(dir, "audit.jsonl"), syslog: { host: "127.0.0.1", port, protocol: "udp" } },
    }));
    const lines = readFileSync(join(log.dir, "audit.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as unknown);
    const rows = log.rows();
    expect(lines).toEqual(
      rows.map((r) =>
        expect.objectContaining({ seq: r.seq, event: r.event, mac: r.hash, prevMac: r.prev_hash }),
      ),
    );
    await expect.poll(() => received.length).toBe(2);
    expect(received[0]).toMatch(/^<110>1 \S+ \S+ soc-triage \d+ audit - \{"seq":1,/);
    socket.close();
  });

  it("sends each row over syslog TCP, one newline-framed message per row", async () => {
    const received: string[] = [];
    const server = createServer((socket) =>
      socket.on("data", (chunk) => received.push(chunk.toString("utf8"))),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    await logWith(3, () => ({ stream: { syslog: { host: "127.0.0.1", port, protocol: "tcp" } } }));
    await expect.poll(() => received.join("").split("\n").filter(Boolean).length).toBe(3);
    expect(received.join("").split("\n")[2]).toMatch(/ audit - \{"seq":3,.*"mac":"[0-9a-f]{64}"/);
    await new Promise((resolve) => server.close(resolve));
  });

  it("a key from TRIAGE_AUDIT_KEY needs no key file; another key fails the first row", async () => {
    const key = randomBytes(32).toString("base64");
    const log = await logWith(3, () => ({ key: { kind: "env", text: key } }));
    expect(existsSync(log.keyFile)).toBe(false);
    expect(await log.verify()).toMatchObject({ ok: true, keyed: 3, checked: ["head file"] });
    const db = openCaseDatabase(log.path);
    const memory = new SqliteCaseMemory(db, {
      now,
      audit: { key: { kind: "env", text: randomBytes(32).toString("hex") }, headFile: log.headFile },
    });
    expect(await memory.verifyAudit()).toMatchObject({ ok: false, problem: "ALTERED", firstBadSeq: 1 });
    db.close();
  });

  it("a failing stream never fails the audit: it reports one line", async () => {
    const lines: string[] = [];
    const log = await logWith(2, (dir) => ({
      stream: { jsonl: join(dir, "missing", "audit.jsonl") },
      report: (l) => lines.push(l),
    }));
    expect(await log.verify()).toMatchObject({ ok: true, entries: 2 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^audit stream to .*audit\.jsonl failed: /);
  });
});
