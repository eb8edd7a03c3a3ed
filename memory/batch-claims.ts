/**
 * Exactly-once ownership of alerts across batch processes sharing one case database. A claim carries a
 * lease: a worker killed mid-alert (kill -9, power loss) leaves a 'running' claim behind, and once its
 * lease has passed another worker may take the alert over. The lease is longer than a triage's wall-clock
 * budget, so a live worker always finishes before anyone may take its alert.
 */
import { z } from "zod";
import type { SqlExecutor } from "./sql/driver.ts";
import { BatchWatermarks } from "./batch-watermarks.ts";
import { DEFAULT_LEASE_MS, ownerAlive } from "./case-leases.ts";

export { DEFAULT_LEASE_MS };

const statusRow = z.object({
  status: z.enum(["running", "done", "failed"]),
  worker: z.string(),
  lease_until: z.string().nullable(),
  error: z.string().nullable(),
});

const unrecordedRow = z.object({
  id: z.string(),
  status: z.enum(["closed", "awaiting_approval"]),
  disposition: z.string(),
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
    // claimed_at stays the first claim's time: the cases opened since are this claim's (unrecordedCase).
    const taken = await this.sql.run(
      `UPDATE batch_claims SET worker = ?, lease_until = ?
       WHERE alert_source = ? AND alert_id = ? AND status = 'running'
         AND ((lease_until IS NOT NULL AND lease_until < ?) OR (lease_until IS NULL AND claimed_at < ?))`,
      [worker, leaseUntil, source, alertId, at, legacyExpiredBefore],
    );
    return taken.changes === 1 ? "took_over" : "taken";
  }

  /**
   * Takes a running claim over for `worker` when its holder is dead: its lease has passed, or it ran on this
   * host and its process is gone (kill -9: no need to wait for the lease, as with a case's owner). The
   * UPDATE names the holder and lease it judged, so a holder that renewed meanwhile keeps its claim. False
   * when the claim is not running or its holder may be alive. For `triage recover`, which finishes the dead
   * holder's case itself: the claim then records that case, and no worker triages the alert again.
   */
  async takeOverDead(source: string, alertId: string, worker: string): Promise<boolean> {
    const held = await this.status(source, alertId);
    if (held?.status !== "running" || held.leaseUntil === null) return false;
    const now = this.now();
    if (held.leaseUntil >= now.toISOString() && ownerAlive(held.worker)) return false;
    const taken = await this.sql.run(
      `UPDATE batch_claims SET worker = ?, lease_until = ?
       WHERE alert_source = ? AND alert_id = ? AND status = 'running' AND worker = ? AND lease_until = ?`,
      [
        worker,
        new Date(now.getTime() + this.leaseMs).toISOString(),
        source,
        alertId,
        held.worker,
        held.leaseUntil,
      ],
    );
    return taken.changes === 1;
  }

  /**
   * The case a dead holder of this running claim finished but never recorded (killed after the case closed
   * or paused for approval, before finish()): the alert's newest case opened since the claim was first
   * taken, closed or awaiting approval, superseded by none. The worker that took the claim over records it
   * instead of triaging the alert a second time; null when there is none.
   */
  async unrecordedCase(
    source: string,
    alertId: string,
  ): Promise<{ caseId: string; disposition: string; awaitingApproval: boolean } | null> {
    const row = await this.sql.get(
      `SELECT c.id, c.status, c.disposition FROM cases c
       JOIN batch_claims b ON b.alert_source = c.alert_source AND b.alert_id = c.alert_id
       WHERE b.alert_source = ? AND b.alert_id = ? AND b.status = 'running' AND c.created_at >= b.claimed_at
         AND c.superseded_by IS NULL AND c.status IN ('closed', 'awaiting_approval') AND c.disposition IS NOT NULL
       ORDER BY c.created_at DESC, c.rowid DESC LIMIT 1`,
      [source, alertId],
    );
    if (row === undefined) return null;
    const parsed = unrecordedRow.parse(row);
    return {
      caseId: parsed.id,
      disposition: parsed.disposition,
      awaitingApproval: parsed.status === "awaiting_approval",
    };
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
