/**
 * The campaign store on both engines, beside real case memory: its audit rows go through case memory's
 * auditor, inside the campaign change's transaction.
 */
import { afterAll, describe, expect, it } from "vitest";
import { isTriageError } from "../core/errors.ts";
import type { Alert, Verdict } from "../core/domain.ts";
import { CampaignStore, type CampaignAuditor } from "./campaigns.ts";
import { SqlCaseMemory } from "./case-store.ts";
import type { SqlDriver } from "./sql/driver.ts";
import { openCaseDatabaseDriver } from "./sql/open.ts";
import { engineTitle, testEngines, type TestEngine } from "./testing/engines.ts";

const { engines, stop } = await testEngines();
afterAll(stop);

const now = () => new Date("2026-11-10T12:00:00Z");

const alert = (id: string): Alert => ({
  id,
  source: "file",
  family: "email",
  type: "user_reported_phish",
  title: id,
  description: "",
  severity: "medium",
  createdAt: now().toISOString(),
  observables: [],
  raw: {},
});

interface Opened {
  driver: SqlDriver;
  store: CampaignStore;
  auditor: CampaignAuditor;
  newCase(alertId: string): Promise<string>;
  /** How many audit rows have committed. */
  events(): Promise<number>;
}

const drivers: SqlDriver[] = [];
afterAll(async () => {
  for (const driver of drivers) await driver.close();
});

async function open(engine: TestEngine): Promise<Opened> {
  const driver = await openCaseDatabaseDriver(await engine.location("campaigns"));
  drivers.push(driver);
  const memory = new SqlCaseMemory(driver, { now });
  const auditor = memory.auditor();
  return {
    driver,
    store: new CampaignStore(driver, { auditor, now }),
    auditor,
    newCase: (id) => memory.createCase(alert(id), { reasoner: "test" }),
    events: async () => (await memory.verifyAudit()).entries,
  };
}

const verdict = (
  disposition: Verdict["disposition"],
  category: Verdict["category"] = "credential_phishing",
): Verdict => ({
  disposition,
  confidence: 0.95,
  severity: "high",
  category,
  attack: [],
  summary: "s",
  rationale: [],
  evidenceIds: [],
  findingIds: [],
  reasoner: "test",
});
const entry = (body: string) => ({
  keys: [["body_hash", body] as const, ["infra", "evil.test"] as const],
  fingerprint: { body },
});

async function fails(run: () => Promise<unknown>, code: string): Promise<void> {
  try {
    await run();
  } catch (error) {
    expect(isTriageError(error) && error.code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

for (const engine of engines) {
  describe.skipIf(engine.skipReason !== null)(`campaign store on ${engineTitle(engine)}`, () => {
    it("finds reports by a shared key and tells the reporters who have not heard the verdict", async () => {
      const { store, newCase, events } = await open(engine);
      const first = await newCase("A");
      const before = await events();
      const id = await store.create(first, entry("h1"), "a@corp.test");
      const second = await newCase("B");
      await store.attach(id, second, entry("h1"), {
        reporter: "b@corp.test",
        reason: "body_hash",
        matched: first,
      });
      expect((await store.candidates([["body_hash", "h1"]])).map((c) => c.caseId).sort()).toEqual(
        [first, second].sort(),
      );
      expect(await store.candidates([["body_hash", "other"]])).toEqual([]);
      expect(await store.get(id)).toMatchObject({ size: 2, firstCaseId: first, outcome: null, revision: 0 });
      expect(await store.unanswered(id)).toEqual([]);
      const revision = await store.setVerdict(id, verdict("malicious"), "engine");
      expect(await store.get(id)).toMatchObject({ outcome: "phishing", revision: 1, verdictBy: "engine" });
      await store.markAnswered(first, revision);
      expect((await store.unanswered(id)).map((m) => m.caseId)).toEqual([second]);
      await store.setVerdict(id, verdict("benign", "other"), "person:alice");
      expect(await store.get(id)).toMatchObject({ outcome: "safe", revision: 2 });
      expect(await store.unanswered(id)).toHaveLength(2);
      expect((await store.ofCase(second))?.id).toBe(id);
      expect((await store.members(id)).map((m) => m.caseId)).toEqual([first, second]);
      expect((await store.list()).map((c) => c.id)).toEqual([id]);
      // created, joined, verdict, revised: each committed with its change.
      expect(await events()).toBe(before + 4);
      await store.saveAnswered(second, { answered: true });
      expect(await store.answeredOf(second)).toEqual({ answered: true });
      expect(await store.answeredOf(first)).toBeNull();
    });

    it("gives two revisions made at once their own numbers", async () => {
      const { store, newCase } = await open(engine);
      const id = await store.create(await newCase("R"), entry("r"), null);
      const revisions = await Promise.all([
        store.setVerdict(id, verdict("malicious"), "engine"),
        store.setVerdict(id, verdict("benign", "other"), "person:bob"),
      ]);
      expect(revisions.sort()).toEqual([1, 2]);
      expect((await store.get(id)).revision).toBe(2);
    });

    it("names a simulation's outcome", async () => {
      const { store, newCase } = await open(engine);
      const id = await store.create(await newCase("S"), entry("s"), null);
      await store.setVerdict(id, verdict("benign", "phishing_simulation"), "engine");
      expect((await store.get(id)).outcome).toBe("simulation");
    });

    it("merges, splits and undoes, each audited, and refuses what makes no sense", async () => {
      const { store, newCase, events } = await open(engine);
      const a1 = await newCase("A1");
      const a = await store.create(a1, entry("a"), null);
      const a2 = await newCase("A2");
      await store.attach(a, a2, entry("a"), { reporter: null, reason: "body_hash", matched: a1 });
      const b1 = await newCase("B1");
      const b = await store.create(b1, entry("b"), null);
      const before = await events();

      const merge = await store.merge(a1, b, { by: "alice", reason: "same kit" });
      expect((await store.get(a)).size).toBe(3);
      expect((await store.ofCase(b1))?.id).toBe(a);
      expect(await events()).toBe(before + 1);
      await fails(() => store.merge(a1, b1, { by: "alice", reason: "again" }), "BAD_INPUT");
      await fails(() => store.merge(a1, "camp-nope", { by: "alice", reason: "x" }), "NOT_FOUND");
      await fails(() => store.merge(a1, b1, { by: "alice", reason: " " }), "BAD_INPUT");

      const split = await store.split(b1, { by: "bob", reason: "different payload" });
      const alone = await store.ofCase(b1);
      expect(alone?.id).not.toBe(a);
      expect(alone?.size).toBe(1);
      expect((await store.get(a)).size).toBe(2);
      await fails(() => store.split(b1, { by: "bob", reason: "x" }), "BAD_INPUT");

      // The merge cannot be undone while a report it moved has moved again since.
      await fails(() => store.undo(merge.id, { by: "carol" }), "CONFLICT");
      await store.undo(split.id, { by: "carol" });
      expect((await store.ofCase(b1))?.id).toBe(a);
      expect((await store.list()).some((c) => c.id === alone?.id)).toBe(false);
      await store.undo(merge.id, { by: "carol" });
      expect((await store.ofCase(b1))?.id).toBe(b);
      expect((await store.ofCase(a2))?.id).toBe(a);
      await fails(() => store.undo(merge.id, { by: "carol" }), "CONFLICT");
      await fails(() => store.undo("chg-nope", { by: "carol" }), "NOT_FOUND");
      expect(await events()).toBe(before + 4);
    });

    it("rolls a change back with its audit rows when it fails after appending them", async () => {
      const { store, newCase, events, driver, auditor } = await open(engine);
      const failing = new CampaignStore(driver, {
        auditor: {
          async append(entries) {
            await auditor.append(entries);
            throw new Error("the change fails after its audit row");
          },
        },
        now,
      });
      const x1 = await newCase("X1");
      const before = await events();
      await expect(failing.create(x1, entry("x"), null)).rejects.toThrow("after its audit row");
      expect(await events()).toBe(before);
      expect(await store.ofCase(x1)).toBeNull();
      expect(await store.list()).toEqual([]);
      expect(driver.inTransaction()).toBe(false);
      // The log is intact: the next change appends and commits as usual.
      await store.create(x1, entry("x"), null);
      expect(await events()).toBe(before + 1);
    });
  });
}
