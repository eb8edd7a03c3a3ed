/** Claims and their leases on a real case database, with an injected clock. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { BatchClaims, DEFAULT_LEASE_MS } from "./batch-claims.ts";
import { openCaseDatabase, type CaseDatabase } from "./db.ts";

const dir = mkdtempSync(join(tmpdir(), "soc-triage-claims-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.parse("2026-11-20T10:00:00.000Z");
const LEASE = 10 * 60_000;
let clock = T0;
const now = () => new Date(clock);
let file = 0;
let db: CaseDatabase;
let claims: BatchClaims;

beforeEach(() => {
  clock = T0;
  db = openCaseDatabase(join(dir, `cases-${++file}.db`));
  claims = new BatchClaims(db, { now, leaseMs: LEASE });
  return () => db.close();
});

describe("batch claims", () => {
  it("gives an alert to the first worker and records its lease", () => {
    expect(claims.claim("lab", "A-1", "w1")).toBe("claimed");
    expect(claims.claim("lab", "A-1", "w2")).toBe("taken");
    expect(claims.status("lab", "A-1")).toEqual({
      status: "running",
      worker: "w1",
      leaseUntil: new Date(T0 + LEASE).toISOString(),
      error: null,
    });
  });

  it("never takes over a live lease, even a millisecond before it passes", () => {
    claims.claim("lab", "A-1", "w1");
    clock = T0 + LEASE - 1;
    expect(claims.claim("lab", "A-1", "w2")).toBe("taken");
    clock = T0 + LEASE;
    expect(claims.claim("lab", "A-1", "w2")).toBe("taken");
    expect(claims.status("lab", "A-1")?.worker).toBe("w1");
    expect(claims.finish("lab", "A-1", "w1", { status: "done", caseId: "case-1" })).toBe(true);
  });

  it("lets another worker take over a running claim whose lease has passed, renewing the lease", () => {
    claims.claim("lab", "A-1", "dead");
    clock = T0 + LEASE + 1;
    expect(claims.claim("lab", "A-1", "w2")).toBe("took_over");
    expect(claims.status("lab", "A-1")).toEqual({
      status: "running",
      worker: "w2",
      leaseUntil: new Date(clock + LEASE).toISOString(),
      error: null,
    });
    // A third worker arriving just after finds the renewed lease.
    expect(claims.claim("lab", "A-1", "w3")).toBe("taken");
  });

  it("keeps a taken-over claim from being overwritten by the worker that lost it", () => {
    claims.claim("lab", "A-1", "slow");
    clock = T0 + LEASE + 1;
    claims.claim("lab", "A-1", "w2");
    expect(claims.finish("lab", "A-1", "slow", { status: "failed", error: "late" })).toBe(false);
    expect(claims.status("lab", "A-1")).toMatchObject({ status: "running", worker: "w2" });
    expect(claims.finish("lab", "A-1", "w2", { status: "done", caseId: "case-2" })).toBe(true);
    expect(claims.isFinished("lab", "A-1")).toBe(true);
  });

  it("never takes over a finished claim, however old", () => {
    claims.claim("lab", "A-1", "w1");
    claims.finish("lab", "A-1", "w1", { status: "done", caseId: "case-1" });
    claims.claim("lab", "A-2", "w1");
    claims.finish("lab", "A-2", "w1", { status: "failed", error: "boom" });
    clock = T0 + 100 * LEASE;
    expect(claims.claim("lab", "A-1", "w2")).toBe("taken");
    expect(claims.claim("lab", "A-2", "w2")).toBe("taken");
    expect(claims.status("lab", "A-2")).toMatchObject({ status: "failed", worker: "w1", error: "boom" });
  });

  it("lets exactly one of two workers on separate connections take over the same dead claim", () => {
    claims.claim("lab", "A-1", "dead");
    clock = T0 + LEASE + 1;
    const other = openCaseDatabase(db.name);
    try {
      const second = new BatchClaims(other, { now, leaseMs: LEASE });
      const results = [claims.claim("lab", "A-1", "w1"), second.claim("lab", "A-1", "w2")];
      expect(results.sort()).toEqual(["taken", "took_over"]);
      expect(second.status("lab", "A-1")?.worker).toBe("w1");
    } finally {
      other.close();
    }
  });

  it("treats a claim written before leases existed as leased from its claim time", () => {
    db.prepare(
      "INSERT INTO batch_claims (alert_source, alert_id, worker, status, claimed_at) VALUES ('lab', 'OLD', 'old', 'running', ?)",
    ).run(new Date(T0).toISOString());
    clock = T0 + LEASE - 1;
    expect(claims.claim("lab", "OLD", "w2")).toBe("taken");
    clock = T0 + LEASE + 1;
    expect(claims.claim("lab", "OLD", "w2")).toBe("took_over");
  });

  it("keeps sources apart and uses a ten-minute lease by default", () => {
    const defaults = new BatchClaims(db, { now });
    expect(defaults.claim("lab", "A-1", "w1")).toBe("claimed");
    expect(defaults.claim("splunk", "A-1", "w1")).toBe("claimed");
    expect(defaults.status("lab", "A-1")?.leaseUntil).toBe(new Date(T0 + DEFAULT_LEASE_MS).toISOString());
    expect(DEFAULT_LEASE_MS).toBe(10 * 60_000);
    expect(defaults.isFinished("lab", "A-1")).toBe(false);
    expect(defaults.status("lab", "nope")).toBeNull();
  });
});
