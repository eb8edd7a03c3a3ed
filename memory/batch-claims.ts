/**
 * Exactly-once ownership of alerts across batch processes sharing one case database. A claim carries a
 * lease: a worker killed mid-alert (kill -9, power loss) leaves a 'running' claim behind, and once its
 * lease has passed another worker may take the alert over. The lease is longer than a triage's wall-clock
 * budget, so a live worker always finishes before anyone may take its alert.
 */
import { z } from "zod";
import type { SqlExecutor } from "./sql/driver.ts";
import { BatchWatermarks } from "./batch-watermarks.ts";
import { DEFAULT_LEASE_MS } from "./case-leases.ts";

export { DEFAULT_LEASE_MS };

const statusRow = z.object({
  status: z.enum(["running", "done", "failed"]),
  worker: z.string(),
  lease_until: z.string().nullable(),
  error: z.string().nullable(),
});

export interface ClaimStatus {
  status: "running" | "done" | "failed";
  worker: string;
  leaseUntil: string | null;
  /** Why a failed claim failed. */
  error: string | null;
}

/** `claimed`: new claim; `took_over`: a dead worker's expired claim; `taken`: someone else owns it. */
export type ClaimResult = "claimed" | "took_over" | "taken";

export class BatchClaims {
  private readonly sql: SqlExecutor;
  private readonly now: () => Date;
  private readonly leaseMs: number;
  /** Watermarks live beside the claims: the runtime hands batches one object for their bookkeeping. */
  readonly watermarks: BatchWatermarks;

  /** `sql` is the case database's driver (SQLite or PostgreSQL). */
  constructor(sql: SqlExecutor, options: { now: () => Date; leaseMs?: number }) {
    this.sql = sql;
    this.now = options.now;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.watermarks = new BatchWatermarks(sql, { now: options.now });
  }

  /**
   * Takes the alert for `worker`. Each statement is atomic across processes on both engines, so no
   * transaction (and no writer lock) is needed: the INSERT makes the first claimant the owner; the UPDATE
   * takes over only a running claim whose lease has passed, and it renews the lease as it does, so of two
   * workers racing for the same dead claim exactly one matches (PostgreSQL re-checks the WHERE on the row
   * the first one wrote).
   */
  async claim(source: string, alertId: string, worker: string): Promise<ClaimResult> {
    const now = this.now();
    const at = now.toISOString();
    const leaseUntil = new Date(now.getTime() + this.leaseMs).toISOString();
    const inserted = await this.sql.run(
      "INSERT INTO batch_claims (alert_source, alert_id, worker, status, claimed_at, lease_until) VALUES (?, ?, ?, 'running', ?, ?) ON CONFLICT DO NOTHING",
      [source, alertId, worker, at, leaseUntil],
    );
    if (inserted.changes === 1) return "claimed";
    // Claims written before leases existed have none: they count as leased from claimed_at.
    const legacyExpiredBefore = new Date(now.getTime() - this.leaseMs).toISOString();
    const taken = await this.sql.run(
      `UPDATE batch_claims SET worker = ?, claimed_at = ?, lease_until = ?
       WHERE alert_source = ? AND alert_id = ? AND status = 'running'
         AND ((lease_until IS NOT NULL AND lease_until < ?) OR (lease_until IS NULL AND claimed_at < ?))`,
      [worker, at, leaseUntil, source, alertId, at, legacyExpiredBefore],
    );
    return taken.changes === 1 ? "took_over" : "taken";
  }

  /**
   * Records the outcome, only while `worker` still owns the claim: a worker that outlived its lease and
   * was taken over must not overwrite its successor. False when the claim was no longer this worker's.
   */
  async finish(
    source: string,
    alertId: string,
    worker: string,
    outcome: { status: "done" | "failed"; caseId?: string; error?: string },
  ): Promise<boolean> {
    const result = await this.sql.run(
      "UPDATE batch_claims SET status = ?, case_id = ?, error = ?, finished_at = ? WHERE alert_source = ? AND alert_id = ? AND worker = ? AND status = 'running'",
      [
        outcome.status,
        outcome.caseId ?? null,
        outcome.error ?? null,
        this.now().toISOString(),
        source,
        alertId,
        worker,
      ],
    );
    return result.changes === 1;
  }

  /** Extends `worker`'s lease while it still owns the running claim; false once it was taken over. */
  async renew(source: string, alertId: string, worker: string): Promise<boolean> {
    const until = new Date(this.now().getTime() + this.leaseMs).toISOString();
    const result = await this.sql.run(
      "UPDATE batch_claims SET lease_until = ? WHERE alert_source = ? AND alert_id = ? AND worker = ? AND status = 'running'",
      [until, source, alertId, worker],
    );
    return result.changes === 1;
  }

  /** Renews the lease every third of it until the returned function is called (a live worker keeps it). */
  heartbeat(source: string, alertId: string, worker: string): () => void {
    const timer = setInterval(
      // A renewal that fails (the database briefly away) is tried again at the next tick: the lease
      // outlasts three of them.
      () => void this.renew(source, alertId, worker).catch(() => undefined),
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );
    timer.unref();
    return () => clearInterval(timer);
  }

  async status(source: string, alertId: string): Promise<ClaimStatus | null> {
    const row = await this.sql.get(
      "SELECT status, worker, lease_until, error FROM batch_claims WHERE alert_source = ? AND alert_id = ?",
      [source, alertId],
    );
    if (row === undefined) return null;
    const parsed = statusRow.parse(row);
    return {
      status: parsed.status,
      worker: parsed.worker,
      leaseUntil: parsed.lease_until,
      error: parsed.error,
    };
  }

  /** True when some worker has finished the alert (done or failed), so nobody will triage it again. */
  async isFinished(source: string, alertId: string): Promise<boolean> {
    const status = (await this.status(source, alertId))?.status;
    return status === "done" || status === "failed";
  }
}
