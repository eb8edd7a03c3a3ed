/**
 * `triage doctor`'s audit lines: the key is where the configuration says and only its owner can read it,
 * and each configured stream can be written to. A stream that fails during a triage says so on stderr;
 * this is where to check it before relying on it.
 */
import { appendFileSync, existsSync, statSync } from "node:fs";
import { createConnection } from "node:net";
import type { TriageConfig } from "../agent/config.ts";
import { loadAuditKey } from "../memory/audit-key.ts";
import { describeError } from "../core/errors.ts";
import type { ProbeResult } from "../tools/vendors/types.ts";

function keyCheck(config: TriageConfig): ProbeResult {
  const check = "audit key";
  const source = config.audit.key;
  if (source.kind !== "file") return { check, ok: true, detail: "from TRIAGE_AUDIT_KEY" };
  if (!existsSync(source.path))
    return { check, ok: true, detail: `${source.path} is made (mode 0600) on first use` };
  try {
    loadAuditKey(source, { create: false });
  } catch (error) {
    return { check, ok: false, detail: describeError(error) };
  }
  // Anyone else who can read the key can recompute the chain.
  const loose = statSync(source.path).mode & 0o077;
  return loose
    ? {
        check,
        ok: false,
        detail: `${source.path} is readable by others (mode ${(statSync(source.path).mode & 0o777).toString(8)}); chmod 600 it`,
      }
    : { check, ok: true, detail: `${source.path} (keep it off the database's host in production)` };
}

function tcpReachable(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(3_000, () => socket.destroy(new Error("timed out")));
    socket.on("connect", () => {
      socket.end();
      resolve(null);
    });
    socket.on("error", (error) => resolve(describeError(error)));
  });
}

export async function auditChecks(config: TriageConfig): Promise<ProbeResult[]> {
  const results = [keyCheck(config)];
  const stream = config.audit.stream;
  if (stream?.jsonl) {
    let failure: string | null = null;
    try {
      appendFileSync(stream.jsonl, "", { mode: 0o600 });
    } catch (error) {
      failure = describeError(error);
    }
    results.push({
      check: "audit stream: append to JSONL",
      ok: failure === null,
      detail: failure ?? stream.jsonl,
    });
  }
  if (stream?.syslog) {
    const { host, port, protocol } = stream.syslog;
    const where = `${protocol}://${host}:${port}`;
    if (protocol === "udp")
      results.push({
        check: "audit stream: syslog",
        ok: true,
        detail: `${where} (UDP: delivery cannot be checked)`,
      });
    else {
      const failure = await tcpReachable(host, port);
      results.push({ check: "audit stream: syslog connect", ok: failure === null, detail: failure ?? where });
    }
  }
  return results;
}
