/**
 * Who is working on a case, and until when. A process that runs a case (triage, approve, batch, recover)
 * owns it under a lease it renews while it works; a case left 'investigating' whose owner is gone (lease
 * passed, or the owning process on this host no longer exists) is orphaned, and recovery may take it.
 */
import { instanceId } from "../core/ids.ts";
import { hostname } from "node:os";
import { z } from "zod";
import type { SqlExecutor } from "./sql/driver.ts";

/** Ten minutes: well past the default triage wall budget (60 s) and a model's slowest retries. */
export const DEFAULT_LEASE_MS = 10 * 60_000;

/** `host:pid:random`, so liveness can be checked on the same host without waiting for the lease. */
export const newOwnerId = instanceId;

/**
 * False only when the owner ran on this host and its process is gone (kill -9, crash): then there is no
 * need to wait for its lease. Another host's owner, or one we cannot tell, counts as alive.
 */
export function ownerAlive(owner: string | null): boolean {
  if (owner === null) return false;
  const match = /^(.*):(\d+):[0-9a-f]+$/.exec(owner);
  if (!match || match[1] !== hostname()) return true;
  const pid = Number(match[2]);
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists under another user. Only ESRCH proves it is gone.
    return !(error instanceof Error && "code" in error && error.code === "ESRCH");
  }
}

const leaseRowSchema = z.object({
  id: z.string(),
  alert_id: z.string(),
  status: z.string(),
  owner: z.string().nullable(),
  lease_until: z.string().nullable(),
  updated_at: z.string(),
  superseded_by: z.string().nullable(),
});
type LeaseRow = z.infer<typeof leaseRowSchema>;

/** An investigating case whose owner is gone. Cases from before leases count from their last update. */
function orphaned(row: LeaseRow, now: Date): boolean {
  if (row.status !== "investigating" || row.superseded_by !== null) return false;
  const at = now.toISOString();
  const leasePassed =
    row.lease_until !== null
      ? row.lease_until < at
      : row.updated_at < new Date(now.getTime() - DEFAULT_LEASE_MS).toISOString();
  return leasePassed || (row.owner !== null && !ownerAlive(row.owner));
}

const LEASE_COLUMNS = "id, alert_id, status, owner, lease_until, updated_at, superseded_by";

export class CaseLeases {
  private readonly sql: SqlExecutor;
  private readonly now: () => Date;
  private readonly report: (line: string) => void;

  constructor(sql: SqlExecutor, options: { now: () => Date; report?: (line: string) => void }) {
    this.sql = sql;
    this.now = options.now;
    this.report = options.report ?? ((line) => void process.stderr.write(`triage: ${line}\n`));
  }

  private async row(caseId: string): Promise<LeaseRow | null> {
    const raw = await this.sql.get(`SELECT ${LEASE_COLUMNS} FROM cases WHERE id = ?`, [caseId]);
    return raw === undefined ? null : leaseRowSchema.parse(raw);
  }

  /**
   * Takes the case for `owner` when it is in one of `statuses`, or orphaned. Read and write in one
   * transaction holding the writers' lock, so of two processes taking the same case exactly one succeeds.
   * `onTaken` runs inside it (the audit row and any state that must commit with the ownership).
   */
  take(
    caseId: string,
    owner: string,
    leaseMs: number,
    options: { statuses: readonly string[]; onTaken?: () => Promise<void> },
  ): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const row = await this.row(caseId);
      if (row === null || row.superseded_by !== null) return false;
      const now = this.now();
      if (!options.statuses.includes(row.status) && !orphaned(row, now)) return false;
      await tx.run(
        "UPDATE cases SET status = 'investigating', owner = ?, lease_until = ?, updated_at = ? WHERE id = ?",
        [owner, new Date(now.getTime() + leaseMs).toISOString(), now.toISOString(), caseId],
      );
      await options.onTaken?.();
      return true;
    });
  }

  /** Extends the lease while `owner` still holds it; false once someone else took the case. */
  async renew(caseId: string, owner: string, leaseMs: number): Promise<boolean> {
    const until = new Date(this.now().getTime() + leaseMs).toISOString();
    const { changes } = await this.sql.run("UPDATE cases SET lease_until = ? WHERE id = ? AND owner = ?", [
      until,
      caseId,
      owner,
    ]);
    return changes === 1;
  }

  /** Gives the case up (it closed, paused or failed): nobody owns a case that is not being worked on. */
  async release(caseId: string, owner: string): Promise<void> {
    await this.sql.run("UPDATE cases SET owner = NULL, lease_until = NULL WHERE id = ? AND owner = ?", [
      caseId,
      owner,
    ]);
  }

  /** Every orphaned case, oldest first; `alertId` narrows to one alert's. */
  async orphans(options: { alertId?: string } = {}): Promise<Array<{ caseId: string; alertId: string }>> {
    const raws =
      options.alertId === undefined
        ? await this.sql.all(
            `SELECT ${LEASE_COLUMNS} FROM cases WHERE status = 'investigating' ORDER BY created_at, rowid`,
          )
        : await this.sql.all(
            `SELECT ${LEASE_COLUMNS} FROM cases WHERE status = 'investigating' AND alert_id = ? ORDER BY created_at, rowid`,
            [options.alertId],
          );
    const rows = raws.map((r) => leaseRowSchema.parse(r));
    const now = this.now();
    return rows.filter((r) => orphaned(r, now)).map((r) => ({ caseId: r.id, alertId: r.alert_id }));
  }

  /**
   * Closes orphaned `oldCaseIds` as superseded by `successor`, each only if still orphaned (recovery may
   * have finished it meanwhile); `onSuperseded` writes the audit row in the same transaction.
   */
  supersede(
    oldCaseIds: readonly string[],
    successor: string,
    onSuperseded: (caseId: string) => Promise<void>,
  ): Promise<string[]> {
    return this.sql.transaction(async (tx) => {
      const now = this.now();
      const closed: string[] = [];
      for (const id of oldCaseIds) {
        const row = await this.row(id);
        if (row === null || !orphaned(row, now)) continue;
        await tx.run(
          "UPDATE cases SET status = 'closed', superseded_by = ?, owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ?",
          [successor, now.toISOString(), id],
        );
        await onSuperseded(id);
        closed.push(id);
      }
      return closed;
    });
  }

  /**
   * Renews the lease every third of it until the returned function is called, so a live owner's case is
   * never taken from it. The timer does not keep the process alive; a renewal that fails (the database
   * briefly away) is reported and tried again at the next tick.
   */
  heartbeat(caseId: string, owner: string, leaseMs: number): () => void {
    let stopped = false;
    const timer = setInterval(
      () =>
        void this.renew(caseId, owner, leaseMs).catch((error: unknown) => {
          if (!stopped)
            this.report(
              `lease of case ${caseId} not renewed: ${error instanceof Error ? error.message : String(error)}`,
            );
        }),
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }
}
