import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Alert } from "../core/domain.ts";
import { newOwnerId, ownerAlive } from "./case-leases.ts";
import { SqliteCaseMemory } from "./case-store.ts";
import { openCaseDatabase } from "./db.ts";

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

let clock = Date.parse("2026-11-10T12:00:00Z");
const now = () => new Date(clock);
const LEASE = 60_000;

const alert = (id: string): Alert => ({
  id,
  source: "lab",
  family: "email",
  type: "user_reported_phish",
  title: `alert ${id}`,
  description: "",
  severity: "medium",
  createdAt: now().toISOString(),
  observables: [],
  raw: {},
});

/** The id an owner had in a process that has exited: its pid is gone. */
function deadOwner(): string {
  const pid = spawnSync(process.execPath, ["-e", ""]).pid;
  return `${hostname()}:${pid}:abc123`;
}

function memory(path = ":memory:") {
  return new SqliteCaseMemory(openCaseDatabase(path), { now });
}

describe("case leases", () => {
  it("tells a dead local owner from a live one, and trusts another host's", () => {
    expect(ownerAlive(newOwnerId())).toBe(true);
    expect(ownerAlive(deadOwner())).toBe(false);
    expect(ownerAlive("elsewhere.example:1:abc123")).toBe(true);
    expect(ownerAlive(null)).toBe(false);
  });

  it("orphans a case whose owner died at once, and a live owner's only once its lease passed", async () => {
    const m = memory();
    const live = await m.createCase(alert("A-1"), {
      reasoner: "offline",
      owner: newOwnerId(),
      leaseMs: LEASE,
    });
    const dead = await m.createCase(alert("A-2"), {
      reasoner: "offline",
      owner: deadOwner(),
      leaseMs: LEASE,
    });
    const paused = await m.createCase(alert("A-3"), {
      reasoner: "offline",
      owner: deadOwner(),
      leaseMs: LEASE,
    });
    await m.setStatus(paused, "awaiting_approval");
    expect(await m.orphanedCases()).toEqual([{ caseId: dead, alertId: "A-2" }]);
    clock += LEASE + 1;
    expect((await m.orphanedCases()).map((o) => o.caseId)).toEqual([live, dead]);
    expect(await m.orphanedCases("A-1")).toEqual([{ caseId: live, alertId: "A-1" }]);
  });

  it("a heartbeat keeps the case; a released case is no one's", async () => {
    const m = memory();
    const owner = newOwnerId();
    const caseId = await m.createCase(alert("A-1"), { reasoner: "offline", owner, leaseMs: 150 });
    const stop = m.heartbeat(caseId, owner, 150);
    clock += 120;
    await new Promise((resolve) => setTimeout(resolve, 200));
    stop();
    clock += 100;
    // 220 ms past its creation, 70 past the lease it was given: only the renewals keep it.
    expect(await m.orphanedCases()).toEqual([]);
    clock += 200;
    expect((await m.orphanedCases()).map((o) => o.caseId)).toEqual([caseId]);
    await m.releaseCase(caseId, owner);
    await m.setStatus(caseId, "closed");
    expect(await m.orphanedCases()).toEqual([]);
  });

  it("of two processes taking one orphan, exactly one gets it, with its state written in the same transaction", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "soc-triage-leases-")), "cases.db");
    scratch.push(join(path, ".."));
    const a = memory(path);
    const b = memory(path);
    const caseId = await a.createCase(alert("A-1"), {
      reasoner: "offline",
      owner: deadOwner(),
      leaseMs: LEASE,
    });
    const took: boolean[] = [];
    for (const [i, m] of [a, b].entries())
      took.push(
        await m.takeCase(caseId, newOwnerId(), LEASE, {
          statuses: [],
          approval: { approved: true, by: `taker ${i}`, actionIds: [], comment: "", at: now().toISOString() },
          audit: { actor: "engine", event: `taken.${i}`, caseId, payload: {} },
        }),
      );
    expect(took).toEqual([true, false]);
    expect(await b.latestApproval(caseId)).toMatchObject({ by: "taker 0" });
    const events = await a.verifyAudit();
    expect(events).toMatchObject({ ok: true, entries: 1 });
    expect(await b.orphanedCases()).toEqual([]);
  });

  it("closes an orphan as superseded by its successor, once, and shows the link", async () => {
    const m = memory();
    const old = await m.createCase(alert("A-1"), { reasoner: "offline", owner: deadOwner(), leaseMs: LEASE });
    const live = await m.createCase(alert("A-1"), {
      reasoner: "offline",
      owner: newOwnerId(),
      leaseMs: LEASE,
    });
    expect(await m.supersedeCases([old, live], live)).toEqual([old]);
    expect(await m.getCase(old)).toMatchObject({ status: "closed", supersededBy: live });
    expect(await m.supersedeCases([old], live)).toEqual([]);
    expect(await m.takeCase(old, newOwnerId(), LEASE, { statuses: ["closed"] })).toBe(false);
  });
});
