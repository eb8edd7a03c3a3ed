/**
 * A small, fixed world for port contract tests: every port implementation (the lab here, vendor adapters
 * through their fake servers later) is loaded with these facts and must answer questions about them alike.
 */
import Database from "better-sqlite3";
import type {
  Alert,
  DirectoryUser,
  EdrDetection,
  Host,
  InboxRule,
  IntelVerdict,
  MailboxMessage,
  NetworkConnection,
  ProcessRecord,
  SiemEvent,
  SignIn,
} from "../../../core/domain.ts";
import { LAB_DDL, LAB_SCHEMA_VERSION } from "../schema.ts";

const T = (minutes: number) =>
  new Date(Date.parse("2026-11-03T10:00:00.000Z") + minutes * 60_000).toISOString();

export const FIXTURE = {
  alerts: [
    {
      id: "FX-1",
      source: "lab",
      family: "email",
      type: "user_reported_phish",
      title: "Reported: invoice",
      description: "",
      severity: "medium",
      createdAt: T(0),
      observables: [{ type: "email", value: "ap@evil.test", role: "sender" }],
      raw: { mailbox: "ann@corp.test", mailId: "m-1" },
    },
    {
      id: "FX-2",
      source: "lab",
      family: "identity",
      type: "impossible_travel",
      title: "Travel: bob",
      description: "",
      severity: "medium",
      createdAt: T(30),
      observables: [{ type: "user", value: "bob@corp.test", role: "actor" }],
      raw: { user: "bob@corp.test" },
    },
  ] satisfies Alert[],
  events: [
    {
      id: "e-1",
      timestamp: T(-10),
      dataset: "signin",
      fields: {
        "user.name": "bob@corp.test",
        "source.ip": "192.0.2.10",
        "source.geo.country_iso_code": "US",
        "event.outcome": "success",
      },
    },
    {
      id: "e-2",
      timestamp: T(-5),
      dataset: "signin",
      fields: {
        "user.name": "bob@corp.test",
        "source.ip": "45.1.2.3",
        "source.geo.country_iso_code": "RO",
        "event.outcome": "success",
      },
    },
    {
      id: "e-3",
      timestamp: T(-4),
      dataset: "signin",
      fields: {
        "user.name": "ann@corp.test",
        "source.ip": "192.0.2.11",
        "source.geo.country_iso_code": "US",
        "event.outcome": "failure",
      },
    },
    {
      id: "e-4",
      timestamp: T(-3),
      dataset: "proxy",
      fields: { "user.name": "ann@corp.test", "url.domain": "evil.test", "http.response.status_code": 200 },
    },
  ] satisfies SiemEvent[],
  host: {
    id: "h-1",
    hostname: "WS-01",
    os: "Windows 11",
    ip: "10.0.0.5",
    tags: ["workstation"],
    owner: "ann@corp.test",
    isolated: false,
    lastSeen: T(60),
  } satisfies Host,
  processes: [
    {
      id: "p-root",
      parentId: null,
      hostId: "h-1",
      pid: 100,
      image: "C:\\Windows\\explorer.exe",
      commandLine: "explorer.exe",
      user: "ann@corp.test",
      sha256: null,
      signer: "Microsoft Windows",
      startedAt: T(-60),
    },
    {
      id: "p-word",
      parentId: "p-root",
      hostId: "h-1",
      pid: 200,
      image: "C:\\Office\\WINWORD.EXE",
      commandLine: "winword.exe invoice.docm",
      user: "ann@corp.test",
      sha256: null,
      signer: "Microsoft Corporation",
      startedAt: T(-2),
    },
    {
      id: "p-ps",
      parentId: "p-word",
      hostId: "h-1",
      pid: 300,
      image: "C:\\Windows\\System32\\powershell.exe",
      commandLine: "powershell -enc AAAA",
      user: "ann@corp.test",
      sha256: "a".repeat(64),
      signer: "Microsoft Windows",
      startedAt: T(-1),
    },
    {
      id: "p-child",
      parentId: "p-ps",
      hostId: "h-1",
      pid: 400,
      image: "C:\\Users\\Public\\x.exe",
      commandLine: "x.exe",
      user: "ann@corp.test",
      sha256: null,
      signer: null,
      startedAt: T(0),
    },
    {
      // A sibling branch under explorer: not an ancestor or descendant of p-ps, so not in its tree.
      id: "p-other",
      parentId: "p-root",
      hostId: "h-1",
      pid: 500,
      image: "C:\\Program Files\\Teams\\teams.exe",
      commandLine: "teams.exe",
      user: "ann@corp.test",
      sha256: null,
      signer: "Microsoft Corporation",
      startedAt: T(-30),
    },
  ] satisfies ProcessRecord[],
  connection: {
    processId: "p-ps",
    remoteIp: "45.9.9.9",
    remotePort: 443,
    remoteDomain: null,
    timestamp: T(-1),
  } satisfies NetworkConnection,
  /** Made by p-other, outside p-ps's tree. */
  unrelatedConnection: {
    processId: "p-other",
    remoteIp: "52.112.0.10",
    remotePort: 443,
    remoteDomain: "teams.microsoft.com",
    timestamp: T(-20),
  } satisfies NetworkConnection,
  detection: {
    id: "d-1",
    hostId: "h-1",
    name: "Office spawned PowerShell",
    severity: "high",
    processId: "p-ps",
    attack: ["T1059.001"],
    timestamp: T(0),
  } satisfies EdrDetection,
  /** Same host, before the fixture window. */
  oldDetection: {
    id: "d-0",
    hostId: "h-1",
    name: "Adware bundle",
    severity: "low",
    processId: null,
    attack: [],
    timestamp: T(-600),
  } satisfies EdrDetection,
  messageId: "<fx-1@evil.test>",
  messages: [
    {
      id: "m-1",
      mailbox: "ann@corp.test",
      messageId: "<fx-1@evil.test>",
      from: "ap@evil.test",
      subject: "Invoice",
      receivedAt: T(-30),
      folder: "Inbox",
      isRead: true,
    },
    {
      id: "m-2",
      mailbox: "bob@corp.test",
      messageId: "<fx-1@evil.test>",
      from: "ap@evil.test",
      subject: "Invoice",
      receivedAt: T(-30),
      folder: "Inbox",
      isRead: false,
    },
    {
      // Another sender in ann's mailbox, earlier: for mailbox-only searches and time bounds.
      id: "m-3",
      mailbox: "ann@corp.test",
      messageId: "<deals-7@shop.test>",
      from: "news@shop.test",
      subject: "Deals of the week",
      receivedAt: T(-90),
      folder: "Inbox",
      isRead: false,
    },
  ] satisfies MailboxMessage[],
  raw: "From: ap@evil.test\r\nTo: ann@corp.test\r\nSubject: Invoice\r\nMessage-ID: <fx-1@evil.test>\r\n\r\nPay now.\r\n",
  rule: {
    id: "r-1",
    mailbox: "bob@corp.test",
    name: "fw",
    enabled: true,
    forwardTo: ["x@gmail.com"],
    moveToFolder: null,
    deleteMessage: false,
    conditions: {},
    createdAt: T(-1),
  } satisfies InboxRule,
  user: {
    id: "u-1",
    userPrincipalName: "bob@corp.test",
    displayName: "Bob",
    department: "Sales",
    jobTitle: null,
    accountEnabled: true,
    tags: ["vip"],
    usualCountries: ["US"],
    mfaMethods: [],
  } satisfies DirectoryUser,
  signIns: [
    {
      id: "s-1",
      user: "bob@corp.test",
      timestamp: T(-10),
      ip: "192.0.2.10",
      country: "US",
      city: null,
      app: "Office 365",
      result: "success",
      userAgent: null,
      deviceCompliant: true,
      riskLevel: "none",
    },
    {
      id: "s-2",
      user: "bob@corp.test",
      timestamp: T(-5),
      ip: "45.1.2.3",
      country: "RO",
      city: null,
      app: "Office 365",
      result: "success",
      userAgent: null,
      deviceCompliant: false,
      riskLevel: "high",
    },
  ] satisfies SignIn[],
  intel: {
    observable: { type: "ip", value: "45.1.2.3" },
    verdict: "malicious",
    score: 90,
    sources: ["lab"],
    tags: ["hosting"],
  } satisfies IntelVerdict,
  /** A domain verdict: a URL on that domain is still "unknown", lookups match type and value exactly. */
  intelDomain: {
    observable: { type: "domain", value: "evil.test" },
    verdict: "malicious",
    score: 80,
    sources: ["lab"],
    tags: ["phishing"],
  } satisfies IntelVerdict,
  /** Values no port knows, for the null / NOT_FOUND / "unknown" answers. */
  unknown: {
    alertId: "FX-404",
    hostname: "NO-SUCH-HOST",
    processId: "p-none",
    user: "ghost@corp.test",
    mailId: "m-404",
    ruleId: "r-404",
    messageId: "<none@nowhere.test>",
  },
  /** A window holding every fixture event. */
  window: { from: T(-120), to: T(120) },
} as const;

export type LabFixture = typeof FIXTURE;

/** The stored RFC 5322 source of a fixture copy: FIXTURE.raw for the phish, a minimal one otherwise. */
export function rawSource(message: MailboxMessage): string {
  if (message.messageId === FIXTURE.messageId) return FIXTURE.raw;
  return [
    `From: ${message.from}`,
    `To: ${message.mailbox}`,
    `Subject: ${message.subject}`,
    `Message-ID: ${message.messageId}`,
    `Date: ${new Date(message.receivedAt).toUTCString()}`,
    "",
    "Hello.",
    "",
  ].join("\r\n");
}

/** A lab database holding exactly the fixture (a file when `path` is given, so two connections can share it). */
export function createFixtureLab(path = ":memory:"): Database.Database {
  const db = new Database(path);
  // The busy timeout openLab sets, so a file-backed fixture shared by two connections waits for the lock
  // instead of failing SQLITE_BUSY, as the lab does between processes.
  db.pragma("busy_timeout = 5000");
  db.exec(LAB_DDL);
  db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(String(LAB_SCHEMA_VERSION));
  const json = (v: unknown) => JSON.stringify(v);
  for (const a of FIXTURE.alerts)
    db.prepare("INSERT INTO alerts (id, created_at, family, type, doc) VALUES (?, ?, ?, ?, ?)").run(
      a.id,
      a.createdAt,
      a.family,
      a.type,
      json(a),
    );
  for (const e of FIXTURE.events)
    db.prepare("INSERT INTO siem_events (id, dataset, ts, doc) VALUES (?, ?, ?, ?)").run(
      e.id,
      e.dataset,
      e.timestamp,
      json(e),
    );
  db.prepare("INSERT INTO hosts (id, hostname, doc) VALUES (?, ?, ?)").run(
    FIXTURE.host.id,
    FIXTURE.host.hostname,
    json(FIXTURE.host),
  );
  for (const p of FIXTURE.processes)
    db.prepare("INSERT INTO processes (id, host_id, parent_id, doc) VALUES (?, ?, ?, ?)").run(
      p.id,
      p.hostId,
      p.parentId,
      json(p),
    );
  for (const c of [FIXTURE.connection, FIXTURE.unrelatedConnection])
    db.prepare("INSERT INTO connections (process_id, doc) VALUES (?, ?)").run(c.processId, json(c));
  for (const d of [FIXTURE.oldDetection, FIXTURE.detection])
    db.prepare("INSERT INTO detections (id, host_id, ts, doc) VALUES (?, ?, ?, ?)").run(
      d.id,
      d.hostId,
      d.timestamp,
      json(d),
    );
  for (const m of FIXTURE.messages) {
    db.prepare(
      "INSERT INTO messages (id, mailbox, message_id, from_addr, subject, received_at, doc, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ).run(m.id, m.mailbox, m.messageId, m.from, m.subject, m.receivedAt, json(m), rawSource(m));
  }
  db.prepare("INSERT INTO inbox_rules (id, mailbox, doc) VALUES (?, ?, ?)").run(
    FIXTURE.rule.id,
    FIXTURE.rule.mailbox,
    json(FIXTURE.rule),
  );
  db.prepare("INSERT INTO users (upn, doc) VALUES (?, ?)").run(
    FIXTURE.user.userPrincipalName,
    json(FIXTURE.user),
  );
  for (const s of FIXTURE.signIns)
    db.prepare("INSERT INTO sign_ins (id, user, ts, doc) VALUES (?, ?, ?, ?)").run(
      s.id,
      s.user,
      s.timestamp,
      json(s),
    );
  for (const i of [FIXTURE.intel, FIXTURE.intelDomain])
    db.prepare("INSERT INTO intel (type, value, doc) VALUES (?, ?, ?)").run(
      i.observable.type,
      i.observable.value,
      json(i),
    );
  return db;
}
