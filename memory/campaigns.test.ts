import { describe, expect, it } from "vitest";
import { isTriageError } from "../core/errors.ts";
import type { Alert, Verdict } from "../core/domain.ts";
import { CampaignStore } from "./campaigns.ts";
import { SqliteCaseMemory } from "./case-store.ts";
import { openCaseDatabase } from "./db.ts";

const now = () => new Date("2026-11-10T12:00:00Z");

function open() {
  const db = openCaseDatabase(":memory:");
  const memory = new SqliteCaseMemory(db, { now });
  const store = new CampaignStore(db, { memory: memory.sqliteAudit(), now });
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
  const newCase = (id: string) => memory.createCase(alert(id), { reasoner: "test" });
  const events = async () => (await memory.verifyAudit()).entries;
  return { db, memory, store, newCase, events };
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

async function fails(run: () => unknown, code: string): Promise<void> {
  try {
    run();
  } catch (error) {
    expect(isTriageError(error) && error.code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe("campaign store", () => {
  it("finds reports by a shared key and tells the reporters who have not heard the verdict", async () => {
    const { store, newCase } = open();
    const first = await newCase("A");
    const id = store.create(first, entry("h1"), "a@corp.test");
    const second = await newCase("B");
    store.attach(id, second, entry("h1"), { reporter: "b@corp.test", reason: "body_hash", matched: first });
    expect(
      store
        .candidates([["body_hash", "h1"]])
        .map((c) => c.caseId)
        .sort(),
    ).toEqual([first, second].sort());
    expect(store.candidates([["body_hash", "other"]])).toEqual([]);
    expect(store.get(id)).toMatchObject({ size: 2, firstCaseId: first, outcome: null, revision: 0 });
    expect(store.unanswered(id)).toEqual([]);
    const revision = store.setVerdict(id, verdict("malicious"), "engine");
    expect(store.get(id)).toMatchObject({ outcome: "phishing", revision: 1, verdictBy: "engine" });
    store.markAnswered(first, revision);
    expect(store.unanswered(id).map((m) => m.caseId)).toEqual([second]);
    store.setVerdict(id, verdict("benign", "other"), "person:alice");
    expect(store.get(id)).toMatchObject({ outcome: "safe", revision: 2 });
    expect(store.unanswered(id)).toHaveLength(2);
    expect(store.ofCase(second)?.id).toBe(id);
  });

  it("names a simulation's outcome", async () => {
    const { store, newCase } = open();
    const id = store.create(await newCase("S"), entry("s"), null);
    store.setVerdict(id, verdict("benign", "phishing_simulation"), "engine");
    expect(store.get(id).outcome).toBe("simulation");
  });

  it("merges, splits and undoes, each audited, and refuses what makes no sense", async () => {
    const { store, newCase, events } = open();
    const a1 = await newCase("A1");
    const a = store.create(a1, entry("a"), null);
    const a2 = await newCase("A2");
    store.attach(a, a2, entry("a"), { reporter: null, reason: "body_hash", matched: a1 });
    const b1 = await newCase("B1");
    const b = store.create(b1, entry("b"), null);
    const before = await events();

    const merge = store.merge(a1, b, { by: "alice", reason: "same kit" });
    expect(store.get(a).size).toBe(3);
    expect(store.ofCase(b1)?.id).toBe(a);
    expect(await events()).toBe(before + 1);
    await fails(() => store.merge(a1, b1, { by: "alice", reason: "again" }), "BAD_INPUT");
    await fails(() => store.merge(a1, "camp-nope", { by: "alice", reason: "x" }), "NOT_FOUND");
    await fails(() => store.merge(a1, b1, { by: "alice", reason: " " }), "BAD_INPUT");

    const split = store.split(b1, { by: "bob", reason: "different payload" });
    const alone = store.ofCase(b1);
    expect(alone?.id).not.toBe(a);
    expect(alone?.size).toBe(1);
    expect(store.get(a).size).toBe(2);
    await fails(() => store.split(b1, { by: "bob", reason: "x" }), "BAD_INPUT");

    // The merge cannot be undone while a report it moved has moved again since.
    await fails(() => store.undo(merge.id, { by: "carol" }), "CONFLICT");
    store.undo(split.id, { by: "carol" });
    expect(store.ofCase(b1)?.id).toBe(a);
    expect(store.list().some((c) => c.id === alone?.id)).toBe(false);
    store.undo(merge.id, { by: "carol" });
    expect(store.ofCase(b1)?.id).toBe(b);
    expect(store.ofCase(a2)?.id).toBe(a);
    await fails(() => store.undo(merge.id, { by: "carol" }), "CONFLICT");
    expect(await events()).toBe(before + 4);
  });
});
