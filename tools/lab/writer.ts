/**
 * Collects everything a lab generation produces, then writes it in one transaction. Alerts get their ids
 * (LAB-0001…) in creation order at the end, so scenarios can be generated in any order.
 */
import type Database from "better-sqlite3";
import type {
  AlertInput,
  DirectoryUser,
  EdrDetection,
  Host,
  InboxRule,
  IntelVerdict,
  MailboxMessage,
  NetworkConnection,
  ProcessRecord,
  SiemDataset,
  SignIn,
  VerdictCategory,
} from "../../core/domain.ts";
import type { Rng } from "./random.ts";

export interface GroundTruth {
  disposition: "malicious" | "benign";
  category: VerdictCategory;
  scenario: string;
}

export type PendingAlert = Omit<AlertInput, "id" | "source">;

export class LabWriter {
  readonly rng: Rng;
  /** Start of the lab's two weeks, in ms. */
  readonly base: number;
  private readonly alerts: Array<{ alert: PendingAlert; truth: GroundTruth }> = [];
  private readonly events: Array<{
    id: string;
    dataset: SiemDataset;
    ts: string;
    fields: Record<string, string | number | boolean | null>;
  }> = [];
  readonly hosts = new Map<string, Host>();
  readonly users = new Map<string, DirectoryUser>();
  private readonly processes: ProcessRecord[] = [];
  private readonly connections: NetworkConnection[] = [];
  private readonly detections: EdrDetection[] = [];
  private readonly messages: Array<{ doc: MailboxMessage; raw: string }> = [];
  private readonly rules: InboxRule[] = [];
  private readonly signIns: SignIn[] = [];
  private readonly intel = new Map<string, IntelVerdict>();
  private counter = 0;

  constructor(rng: Rng, base: number) {
    this.rng = rng;
    this.base = base;
  }

  /** A unique, deterministic id with a prefix. */
  id(prefix: string): string {
    this.counter++;
    return `${prefix}-${this.counter.toString(36).padStart(5, "0")}${this.rng.hex(6)}`;
  }

  iso(ms: number): string {
    return new Date(Math.round(ms / 1000) * 1000).toISOString();
  }

  alert(alert: PendingAlert, truth: GroundTruth): void {
    this.alerts.push({ alert, truth });
  }

  event(dataset: SiemDataset, ms: number, fields: Record<string, string | number | boolean | null>): void {
    this.events.push({ id: this.id("evt"), dataset, ts: this.iso(ms), fields });
  }

  host(host: Host): void {
    this.hosts.set(host.hostname.toLowerCase(), host);
  }

  user(user: DirectoryUser): void {
    this.users.set(user.userPrincipalName.toLowerCase(), user);
  }

  process(p: ProcessRecord): ProcessRecord {
    this.processes.push(p);
    return p;
  }

  connection(c: NetworkConnection): void {
    this.connections.push(c);
  }

  detection(d: EdrDetection): void {
    this.detections.push(d);
  }

  message(doc: MailboxMessage, raw: string): void {
    this.messages.push({ doc, raw });
  }

  rule(r: InboxRule): void {
    this.rules.push(r);
  }

  signIn(s: SignIn): SignIn {
    this.signIns.push(s);
    return s;
  }

  intelVerdict(v: IntelVerdict): void {
    this.intel.set(`${v.observable.type}\u0000${v.observable.value.toLowerCase()}`, v);
  }

  get alertCount(): number {
    return this.alerts.length;
  }

  write(db: Database.Database): number {
    const ordered = [...this.alerts].sort((a, b) =>
      a.alert.createdAt < b.alert.createdAt ? -1 : a.alert.createdAt > b.alert.createdAt ? 1 : 0,
    );
    const insertAlert = db.prepare(
      "INSERT INTO alerts (id, created_at, family, type, doc) VALUES (?, ?, ?, ?, ?)",
    );
    const insertTruth = db.prepare(
      "INSERT INTO ground_truth (alert_id, disposition, category, scenario) VALUES (?, ?, ?, ?)",
    );
    ordered.forEach(({ alert, truth }, index) => {
      const id = `LAB-${String(index + 1).padStart(4, "0")}`;
      insertAlert.run(
        id,
        alert.createdAt,
        alert.family,
        alert.type,
        JSON.stringify({ id, source: "lab", ...alert }),
      );
      insertTruth.run(id, truth.disposition, truth.category, truth.scenario);
    });
    const insertEvent = db.prepare("INSERT INTO siem_events (id, dataset, ts, doc) VALUES (?, ?, ?, ?)");
    for (const e of [...this.events].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0))) {
      insertEvent.run(
        e.id,
        e.dataset,
        e.ts,
        JSON.stringify({ id: e.id, timestamp: e.ts, dataset: e.dataset, fields: e.fields }),
      );
    }
    const insertHost = db.prepare("INSERT INTO hosts (id, hostname, doc) VALUES (?, ?, ?)");
    for (const h of this.hosts.values()) insertHost.run(h.id, h.hostname, JSON.stringify(h));
    const insertUser = db.prepare("INSERT INTO users (upn, doc) VALUES (?, ?)");
    for (const u of this.users.values()) insertUser.run(u.userPrincipalName, JSON.stringify(u));
    const insertProcess = db.prepare(
      "INSERT INTO processes (id, host_id, parent_id, doc) VALUES (?, ?, ?, ?)",
    );
    for (const p of this.processes) insertProcess.run(p.id, p.hostId, p.parentId ?? null, JSON.stringify(p));
    const insertConnection = db.prepare("INSERT INTO connections (process_id, doc) VALUES (?, ?)");
    for (const c of this.connections) insertConnection.run(c.processId, JSON.stringify(c));
    const insertDetection = db.prepare("INSERT INTO detections (id, host_id, ts, doc) VALUES (?, ?, ?, ?)");
    for (const d of this.detections) insertDetection.run(d.id, d.hostId, d.timestamp, JSON.stringify(d));
    const insertMessage = db.prepare(
      "INSERT INTO messages (id, mailbox, message_id, from_addr, subject, received_at, doc, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    for (const { doc, raw } of this.messages)
      insertMessage.run(
        doc.id,
        doc.mailbox,
        doc.messageId,
        doc.from,
        doc.subject,
        doc.receivedAt,
        JSON.stringify(doc),
        raw,
      );
    const insertRule = db.prepare("INSERT INTO inbox_rules (id, mailbox, doc) VALUES (?, ?, ?)");
    for (const r of this.rules) insertRule.run(r.id, r.mailbox, JSON.stringify(r));
    const insertSignIn = db.prepare("INSERT INTO sign_ins (id, user, ts, doc) VALUES (?, ?, ?, ?)");
    for (const s of this.signIns) insertSignIn.run(s.id, s.user, s.timestamp, JSON.stringify(s));
    const insertIntel = db.prepare("INSERT INTO intel (type, value, doc) VALUES (?, ?, ?)");
    for (const v of this.intel.values())
      insertIntel.run(v.observable.type, v.observable.value, JSON.stringify(v));
    return ordered.length;
  }
}
