import {
  Command,
  END,
  INTERRUPT,
  START,
  StateGraph,
  StateSchema,
  interrupt,
  isInterrupted,
} from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { pruneCaseCheckpoints } from "./checkpoints.ts";
import { openCaseDatabase, type CaseDatabase } from "./db.ts";
import { createSqliteDriver } from "./sql/sqlite-driver.ts";

const State = new StateSchema({ log: z.array(z.string()), answer: z.string().nullable() });

/** Three steps, the middle one waiting for a person. */
function graphOn(db: CaseDatabase) {
  return new StateGraph(State)
    .addNode("first", (s) => ({ log: [...s.log, "first"] }))
    .addNode("ask", (s) => {
      const answer = z.string().parse(interrupt({ question: "go?" }));
      return { log: [...s.log, "ask"], answer };
    })
    .addNode("last", (s) => ({ log: [...s.log, "last"] }))
    .addEdge(START, "first")
    .addEdge("first", "ask")
    .addEdge("ask", "last")
    .addEdge("last", END)
    .compile({ checkpointer: new SqliteSaver(db) });
}

const thread = (id: string) => ({ configurable: { thread_id: id } });
const count = (db: CaseDatabase, table: "checkpoints" | "writes", id: string) =>
  z
    .object({ n: z.number() })
    .parse(db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE thread_id = ?`).get(id)).n;

describe("pruneCaseCheckpoints", () => {
  it("keeps only the latest checkpoint of a finished thread, whose state reads back the same", async () => {
    const db = openCaseDatabase(":memory:");
    const graph = graphOn(db);
    await graph.invoke({ log: [], answer: null }, thread("case-1"));
    await graph.invoke(new Command({ resume: "yes" }), thread("case-1"));
    await graph.invoke({ log: [], answer: null }, thread("case-2"));
    const before = await graph.getState(thread("case-1"));
    expect(count(db, "checkpoints", "case-1")).toBeGreaterThan(1);
    const otherBefore = count(db, "checkpoints", "case-2");

    await pruneCaseCheckpoints(createSqliteDriver(db, ":memory:"), "case-1");

    expect(count(db, "checkpoints", "case-1")).toBe(1);
    const after = await graph.getState(thread("case-1"));
    expect(after.values).toEqual({ log: ["first", "ask", "last"], answer: "yes" });
    expect(after.values).toEqual(before.values);
    expect(after.next).toEqual([]);
    expect(count(db, "checkpoints", "case-2")).toBe(otherBefore);
    expect(db.inTransaction).toBe(false);
  });

  it("keeps the latest checkpoint's pending writes: a paused thread pruned still resumes", async () => {
    const db = openCaseDatabase(":memory:");
    const graph = graphOn(db);
    const paused = await graph.invoke({ log: [], answer: null }, thread("case-3"));
    expect(isInterrupted(paused) && paused[INTERRUPT][0]?.value).toEqual({ question: "go?" });
    const pending = (await new SqliteSaver(db).getTuple(thread("case-3")))?.pendingWrites;
    expect(pending?.length).toBeGreaterThan(0);

    await pruneCaseCheckpoints(createSqliteDriver(db, ":memory:"), "case-3");

    expect(count(db, "checkpoints", "case-3")).toBe(1);
    expect((await new SqliteSaver(db).getTuple(thread("case-3")))?.pendingWrites).toEqual(pending);
    expect(count(db, "writes", "case-3")).toBe(pending?.length);
    expect((await graph.getState(thread("case-3"))).next).toEqual(["ask"]);
    const done = await graph.invoke(new Command({ resume: "later" }), thread("case-3"));
    expect(done).toEqual({ log: ["first", "ask", "last"], answer: "later" });
  });

  it("does nothing on a database that never held checkpoints, or for a thread without any", async () => {
    const db = openCaseDatabase(":memory:");
    await pruneCaseCheckpoints(createSqliteDriver(db, ":memory:"), "case-4");
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE name IN ('checkpoints', 'writes')").all();
    expect(tables).toEqual([]);
    await graphOn(db).invoke({ log: [], answer: null }, thread("case-5"));
    await pruneCaseCheckpoints(createSqliteDriver(db, ":memory:"), "case-4");
    expect(count(db, "checkpoints", "case-5")).toBeGreaterThan(1);
  });
});
