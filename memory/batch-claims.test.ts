/** Claims and their leases on a real case database (SQLite and PostgreSQL), with an injected clock. */
import { spawnSync } from "node:child_process";
import { hostname } from "node:os";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { BatchClaims, DEFAULT_LEASE_MS } from "./batch-claims.ts";
import type { SqlDriver } from "./sql/driver.ts";
import { openCaseDatabaseDriver } from "./sql/open.ts";
import { engineTitle, testEngines } from "./testing/engines.ts";

const { engines, stop } = await testEngines();
afterAll(stop);

const T0 = Date.parse("2026-11-20T10:00:00.000Z");
const LEASE = 10 * 60_000;
let clock = T0;
const now = () => new Date(clock);

for (const engine of engines) {
  describe.skipIf(engine.skipReason !== null)(`batch claims on ${engineTitle(engine)}`, () => {
    let location: string;
    let driver: SqlDriver;
    let claims: BatchClaims;
    const others: SqlDriver[] = [];
    /** Another process's connection to the same database. */
    async function another(): Promise<SqlDriver> {
      const other = await openCaseDatabaseDriver(location);
      others.push(other);
      return other;
    }

    beforeEach(async () => {
      clock = T0;
      location = await engine.location("claims");
      driver = await openCaseDatabaseDriver(location);
      claims = new BatchClaims(driver, { now, leaseMs: LEASE });
      return async () => {
        for (const other of others.splice(0)) await other.close();
        await driver.close();
      };
    });

    it("gives an alert to the first worker and records its lease", async () => {
      expect(await claims.claim("lab", "A-1", "w1")).toBe("claimed");
      expect(await claims.claim("lab", "A-1", "w2")).toBe("taken");
      expect(await claims.status("lab", "A-1")).toEqual({
        status: "running",
        worker: "w1",
        leaseUntil: new Date(T0 + LEASE).toISOString(),
        error: null,
      });
    });

    it("never takes over a live lease, even a millisecond before it passes", async () => {
      await claims.claim("lab", "A-1", "w1");
      clock = T0 + LEASE - 1;
      expect(await claims.claim("lab", "A-1", "w2")).toBe("taken");
      clock = T0 + LEASE;
      expect(await claims.claim("lab", "A-1", "w2")).toBe("taken");
      expect((await claims.status("lab", "A-1"))?.worker).toBe("w1");
      expect(await claims.finish("lab", "A-1", "w1", { status: "done", caseId: "case-1" })).toBe(true);
    });

    it("lets another worker take over a running claim whose lease has passed, renewing the lease", async () => {
      await claims.claim("lab", "A-1", "dead");
      clock = T0 + LEASE + 1;
      expect(await claims.claim("lab", "A-1", "w2")).toBe("took_over");
      expect(await claims.status("lab", "A-1")).toEqual({
        status: "running",
        worker: "w2",
        leaseUntil: new Date(clock + LEASE).toISOString(),
        error: null,
      });
      // A third worker arriving just after finds the renewed lease.
      expect(await claims.claim("lab", "A-1", "w3")).toBe("taken");
    });

    it("lets recovery take over a claim whose holder is dead: lease passed, or its process on this host gone", async () => {
      // A process that has exited: its pid is no longer there (ESRCH), as after kill -9.
      const gone = `${hostname()}:${spawnSync(process.execPath, ["-e", ""]).pid}:0abc`;
      await claims.claim("lab", "A-1", "w1");
      await claims.claim("lab", "A-2", gone);
      await claims.claim("lab", "A-3", "w3");
      await claims.finish("lab", "A-3", "w3", { status: "done", caseId: "case-3" });
      clock = T0 + 1_000;
      // A holder that may be alive (another host's, or one we cannot tell) keeps a live lease.
      expect(await claims.takeOverDead("lab", "A-1", "recover")).toBe(false);
      expect(await claims.takeOverDead("lab", "A-2", "recover")).toBe(true);
      expect(await claims.status("lab", "A-2")).toMatchObject({ status: "running", worker: "recover" });
      expect(await claims.takeOverDead("lab", "A-3", "recover")).toBe(false);
      clock = T0 + LEASE + 1;
      expect(await claims.takeOverDead("lab", "A-1", "recover")).toBe(true);
      expect(await claims.finish("lab", "A-1", "recover", { status: "done", caseId: "case-1" })).toBe(true);
      expect(await claims.finish("lab", "A-1", "w1", { status: "failed", error: "late" })).toBe(false);
    });

    it("finds the case a dead holder finished but never recorded, and only that one", async () => {
      const at = (ms: number) => new Date(T0 + ms).toISOString();
      const addCase = (
        id: string,
        alertId: string,
        status: string,
        created: number,
        disposition: string | null,
      ) =>
        driver.run(
          `INSERT INTO cases (id, alert_id, alert_source, family, type, title, status, reasoner, disposition, created_at, updated_at)
           VALUES (?, ?, 'lab', 'email', 'phish', 't', ?, 'offline', ?, ?, ?)`,
          [id, alertId, status, disposition, at(created), at(created)],
        );
      // Triaged by hand an hour before any batch claimed it: not the claim's.
      await addCase("case-old", "A-1", "closed", -3_600_000, "benign");
      await claims.claim("lab", "A-1", "dead");
      await claims.claim("lab", "A-2", "dead");
      expect(await claims.unrecordedCase("lab", "A-1")).toBeNull();
      await addCase("case-paused", "A-1", "awaiting_approval", 1_000, "malicious");
      await addCase("case-running", "A-2", "investigating", 1_000, null);
      clock = T0 + LEASE + 1;
      expect(await claims.claim("lab", "A-1", "w2")).toBe("took_over");
      expect(await claims.unrecordedCase("lab", "A-1")).toEqual({
        caseId: "case-paused",
        disposition: "malicious",
        awaitingApproval: true,
      });
      // A case still investigating is superseded by the next triage, not recorded.
      expect(await claims.claim("lab", "A-2", "w2")).toBe("took_over");
      expect(await claims.unrecordedCase("lab", "A-2")).toBeNull();
      // Once the claim is finished there is nothing unrecorded.
      await claims.finish("lab", "A-1", "w2", { status: "done", caseId: "case-paused" });
      expect(await claims.unrecordedCase("lab", "A-1")).toBeNull();
    });

    it("keeps a taken-over claim from being overwritten by the worker that lost it", async () => {
      await claims.claim("lab", "A-1", "slow");
      clock = T0 + LEASE + 1;
      await claims.claim("lab", "A-1", "w2");
      expect(await claims.renew("lab", "A-1", "slow")).toBe(false);
      expect(await claims.finish("lab", "A-1", "slow", { status: "failed", error: "late" })).toBe(false);
      expect(await claims.status("lab", "A-1")).toMatchObject({ status: "running", worker: "w2" });
      expect(await claims.renew("lab", "A-1", "w2")).toBe(true);
      expect(await claims.finish("lab", "A-1", "w2", { status: "done", caseId: "case-2" })).toBe(true);
      expect(await claims.isFinished("lab", "A-1")).toBe(true);
    });

    it("never takes over a finished claim, however old", async () => {
      await claims.claim("lab", "A-1", "w1");
      await claims.finish("lab", "A-1", "w1", { status: "done", caseId: "case-1" });
      await claims.claim("lab", "A-2", "w1");
      await claims.finish("lab", "A-2", "w1", { status: "failed", error: "boom" });
      clock = T0 + 100 * LEASE;
      expect(await claims.claim("lab", "A-1", "w2")).toBe("taken");
      expect(await claims.claim("lab", "A-2", "w2")).toBe("taken");
      expect(await claims.status("lab", "A-2")).toMatchObject({
        status: "failed",
        worker: "w1",
        error: "boom",
      });
    });

    it("lets exactly one of several workers on separate connections take over the same dead claim", async () => {
      await claims.claim("lab", "A-1", "dead");
      clock = T0 + LEASE + 1;
      const workers = [claims];
      for (let i = 0; i < 3; i++) workers.push(new BatchClaims(await another(), { now, leaseMs: LEASE }));
      const results = await Promise.all(workers.map((w, i) => w.claim("lab", "A-1", `w${i}`)));
      expect([...results].sort()).toEqual(["taken", "taken", "taken", "took_over"]);
      expect((await workers[1]?.status("lab", "A-1"))?.worker).toBe(`w${results.indexOf("took_over")}`);
    });

    it("gives each alert to exactly one of several racing workers on separate connections", async () => {
      const alerts = Array.from({ length: 40 }, (_, i) => `A-${i}`);
      const workers = [claims];
      for (let i = 0; i < 3; i++) workers.push(new BatchClaims(await another(), { now, leaseMs: LEASE }));
      const won = await Promise.all(
        workers.map(async (w, i) => {
          const mine: string[] = [];
          for (const id of alerts) if ((await w.claim("lab", id, `w${i}`)) === "claimed") mine.push(id);
          return mine;
        }),
      );
      expect(won.flat().sort()).toEqual([...alerts].sort());
      for (const [i, mine] of won.entries())
        for (const id of mine) expect((await claims.status("lab", id))?.worker).toBe(`w${i}`);
    });

    it("treats a claim written before leases existed as leased from its claim time", async () => {
      await driver.run(
        "INSERT INTO batch_claims (alert_source, alert_id, worker, status, claimed_at) VALUES ('lab', 'OLD', 'old', 'running', ?)",
        [new Date(T0).toISOString()],
      );
      clock = T0 + LEASE - 1;
      expect(await claims.claim("lab", "OLD", "w2")).toBe("taken");
      clock = T0 + LEASE + 1;
      expect(await claims.claim("lab", "OLD", "w2")).toBe("took_over");
    });

    it("keeps the lease of a live worker alive with its heartbeat", async () => {
      const short = new BatchClaims(driver, { now: () => new Date(), leaseMs: 150 });
      expect(await short.claim("lab", "H-1", "w1")).toBe("claimed");
      const first = (await short.status("lab", "H-1"))?.leaseUntil;
      const stopHeartbeat = short.heartbeat("lab", "H-1", "w1");
      await new Promise((resolve) => setTimeout(resolve, 300));
      stopHeartbeat();
      expect((await short.status("lab", "H-1"))?.leaseUntil ?? "").not.toBe(first);
      expect(await short.claim("lab", "H-1", "w2")).toBe("taken");
    });

    it("keeps sources apart and uses a ten-minute lease by default", async () => {
      const defaults = new BatchClaims(driver, { now });
      expect(await defaults.claim("lab", "A-1", "w1")).toBe("claimed");
      expect(await defaults.claim("splunk", "A-1", "w1")).toBe("claimed");
      expect((await defaults.status("lab", "A-1"))?.leaseUntil).toBe(
        new Date(T0 + DEFAULT_LEASE_MS).toISOString(),
      );
      expect(DEFAULT_LEASE_MS).toBe(10 * 60_000);
      expect(await defaults.isFinished("lab", "A-1")).toBe(false);
      expect(await defaults.status("lab", "nope")).toBeNull();
    });
  });
}
