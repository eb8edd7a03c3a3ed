/**
 * An optional copy of every committed audit row, one JSON line each (MAC included), for a SIEM: appended
 * to a JSONL file and/or sent as RFC 5424 syslog over UDP or TCP. The database stays the record; a failing
 * stream never fails a triage, it reports one line.
 */
import { createSocket } from "node:dgram";
import { appendFileSync } from "node:fs";
import { hostname } from "node:os";
import { createConnection } from "node:net";
import { z } from "zod";
import { describeError } from "../core/errors.ts";
import type { AuditRow } from "./audit-chain.ts";

export const auditStreamConfigSchema = z
  .object({
    jsonl: z.string().min(1).optional().describe("Append each audit row as one JSON line to this file"),
    syslog: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65_535),
        protocol: z.enum(["udp", "tcp"]).default("udp"),
      })
      .strict()
      .optional()
      .describe("Send each audit row as an RFC 5424 syslog message"),
  })
  .strict();
export type AuditStreamConfig = z.infer<typeof auditStreamConfigSchema>;

export interface AuditStream {
  /** Rows already committed, in seq order. Never throws. */
  write(rows: readonly AuditRow[]): void;
}

/** The line a SIEM receives: the row as stored, payload parsed back to an object. */
export function streamLine(row: AuditRow): string {
  let payload: unknown;
  try {
    payload = JSON.parse(row.payload);
  } catch {
    payload = row.payload;
  }
  return JSON.stringify({
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    event: row.event,
    caseId: row.case_id,
    payload,
    prevMac: row.prev_hash,
    mac: row.hash,
    scheme: row.scheme,
  });
}

// Facility 13 is "log audit"; severity 6 informational.
const PRIORITY = 13 * 8 + 6;

function syslogMessage(row: AuditRow): string {
  return `<${PRIORITY}>1 ${row.at} ${hostname()} soc-triage ${process.pid} audit - ${streamLine(row)}`;
}

function sendSyslog(
  target: NonNullable<AuditStreamConfig["syslog"]>,
  messages: string[],
  report: (line: string) => void,
): void {
  const where = `${target.protocol}://${target.host}:${target.port}`;
  const failed = (error: unknown) =>
    report(`audit stream to syslog ${where} failed: ${describeError(error)}`);
  if (target.protocol === "udp") {
    const socket = createSocket(target.host.includes(":") ? "udp6" : "udp4");
    socket.on("error", (error) => {
      failed(error);
      socket.close();
    });
    let left = messages.length;
    for (const message of messages)
      socket.send(message, target.port, target.host, (error) => {
        if (error) failed(error);
        if (--left === 0) socket.close();
      });
    return;
  }
  // Newline framing (RFC 6587 non-transparent), which rsyslog and syslog-ng accept by default.
  const socket = createConnection({ host: target.host, port: target.port });
  socket.setTimeout(5_000, () => socket.destroy(new Error("timed out")));
  socket.on("error", failed);
  socket.end(messages.map((m) => `${m}\n`).join(""));
}

export function createAuditStream(config: AuditStreamConfig, report: (line: string) => void): AuditStream {
  return {
    write(rows) {
      if (!rows.length) return;
      if (config.jsonl) {
        try {
          appendFileSync(config.jsonl, rows.map((r) => `${streamLine(r)}\n`).join(""), { mode: 0o600 });
        } catch (error) {
          report(`audit stream to ${config.jsonl} failed: ${describeError(error)}`);
        }
      }
      if (config.syslog) {
        try {
          sendSyslog(config.syslog, rows.map(syslogMessage), report);
        } catch (error) {
          report(`audit stream to syslog failed: ${describeError(error)}`);
        }
      }
    },
  };
}
