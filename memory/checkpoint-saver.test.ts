/** LangGraph checkpoints in the case database on both engines: a paused graph resumes from a new connection. */
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
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { openCheckpointSaver } from "./checkpoint-saver.ts";
import { openCaseDatabaseDriver, type CaseDatabaseDriver } from "./sql/open.ts";
import { engineTitle, testEngines } from "./testing/engines.ts";

const { engines, stop } = await testEngines();
afterAll(stop);

const State = new StateSchema({
  alertId: z.string(),
  approved: z.boolean().optional(),
  acted: z.boolean().optional(),
});
type S = typeof State.State;

async function graphOn(driver: CaseDatabaseDriver, afterPut?: () => void) {
  const checkpointer = await openCheckpointSaver(driver, afterPut ? { afterPut } : {});
  return new StateGraph(State)
    .addNode("approval", () => ({
      approved: interrupt<{ action: string }, { approved: boolean }>({ action: "block" }).approved,
    }))
    .addNode("respond", (s: S) => ({ acted: s.approved === true }))
    .addEdge(START, "approval")
    .addEdge("approval", "respond")
    .addEdge("respond", END)
    .compile({ checkpointer });
}

for (const engine of engines) {
  describe.skipIf(engine.skipReason !== null)(`checkpoints on ${engineTitle(engine)}`, () => {
    const opened: CaseDatabaseDriver[] = [];
    afterAll(async () => {
      for (const driver of opened) await driver.close();
    });
    async function open(location: string): Promise<CaseDatabaseDriver> {
      const driver = await openCaseDatabaseDriver(location);
      opened.push(driver);
      return driver;
    }

    it("pauses at an interrupt and resumes from another connection", async () => {
      const location = await engine.location("resume");
      const config = { configurable: { thread_id: "case-1" } };
      let puts = 0;
      const first = await graphOn(await open(location), () => puts++);
      const paused = await first.invoke({ alertId: "A-1" }, config);
      expect(isInterrupted(paused) ? paused[INTERRUPT][0]?.value : null).toEqual({ action: "block" });
      expect(puts).toBeGreaterThan(0);
      const second = await graphOn(await open(location));
      expect((await second.getState(config)).next).toEqual(["approval"]);
      const done = await second.invoke(new Command({ resume: { approved: true } }), config);
      expect(done).toMatchObject({ alertId: "A-1", approved: true, acted: true });
      const history = [];
      for await (const snapshot of second.getStateHistory(config)) history.push(snapshot);
      expect(history.length).toBeGreaterThan(2);
    });

    it.skipIf(engine.dialect !== "sqlite")(
      "waits for case memory's open transaction before touching the connection",
      async () => {
        const driver = await open(await engine.location("serialized"));
        const graph = await graphOn(driver);
        const events: string[] = [];
        let release = () => {};
        const gate = new Promise<void>((resolve) => (release = resolve));
        const transaction = driver.transaction(async (tx) => {
          await tx.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'probe', '')");
          await gate;
          events.push("transaction ends");
          throw new Error("rolled back");
        });
        const run = graph.invoke({ alertId: "A-2" }, { configurable: { thread_id: "case-2" } }).then(() => {
          events.push("graph paused");
        });
        await new Promise((resolve) => setTimeout(resolve, 30));
        expect(events).toEqual([]);
        release();
        await expect(transaction).rejects.toThrow("rolled back");
        await run;
        expect(events).toEqual(["transaction ends", "graph paused"]);
        // The checkpoints are not caught in the rolled-back transaction.
        expect((await graph.getState({ configurable: { thread_id: "case-2" } })).next).toEqual(["approval"]);
      },
    );

    it.skipIf(engine.dialect !== "postgres")(
      "sets its tables up once when several workers start together",
      async () => {
        const location = await engine.location("setup-race");
        const drivers = await Promise.all([1, 2, 3].map(() => open(location)));
        await Promise.all(drivers.map((driver) => openCheckpointSaver(driver)));
        const versions = await drivers[0]?.get("SELECT COUNT(*) AS n FROM checkpoint_migrations");
        expect(versions).toEqual({ n: 5 });
      },
    );
  });
}
