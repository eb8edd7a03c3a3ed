/** The SQL driver's behaviour, the same on SQLite and PostgreSQL (skipped, saying why, without a server). */
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { engineTitle, testEngines } from "../testing/engines.ts";
import type { SqlDriver } from "./driver.ts";
import { connectCaseDatabaseDriver } from "./open.ts";

const { engines, stop } = await testEngines();
afterAll(stop);

const countSchema = z.object({ n: z.number() });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const engine of engines) {
  describe.skipIf(engine.skipReason !== null)(`SqlDriver on ${engineTitle(engine)}`, () => {
    const drivers: SqlDriver[] = [];
    afterAll(async () => {
      for (const driver of drivers) await driver.close();
    });
    async function open(prefix: string): Promise<SqlDriver> {
      const driver = await connectCaseDatabaseDriver(await engine.location(prefix));
      drivers.push(driver);
      await driver.exec("CREATE TABLE items (name TEXT PRIMARY KEY, size INTEGER NOT NULL, note TEXT)");
      return driver;
    }
    const count = async (driver: SqlDriver, sql = "SELECT COUNT(*) AS n FROM items") =>
      countSchema.parse(await driver.get(sql)).n;

    it("binds ? placeholders, counts changes and reads integers as numbers", async () => {
      const driver = await open("basics");
      expect(driver.dialect).toBe(engine.dialect);
      await driver.run("INSERT INTO items (name, size, note) VALUES (?, ?, ?)", ["a", 1, "what?"]);
      await driver.run("INSERT INTO items (name, size, note) VALUES (?, ?, ?)", ["b", 2, null]);
      expect(
        await driver.run("INSERT INTO items (name, size) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", [
          "a",
          9,
        ]),
      ).toEqual({ changes: 0 });
      expect(await driver.run("UPDATE items SET size = size + ? WHERE size >= ?", [10, 1])).toEqual({
        changes: 2,
      });
      expect(
        await driver.all(
          "SELECT name, size, note FROM items WHERE note = 'what?' OR name = ? ORDER BY name",
          ["b"],
        ),
      ).toEqual([
        { name: "a", size: 11, note: "what?" },
        { name: "b", size: 12, note: null },
      ]);
      // COUNT and SUM are bigint/numeric on PostgreSQL: still numbers here.
      expect(await driver.get("SELECT COUNT(*) AS n, SUM(size) AS total FROM items")).toEqual({
        n: 2,
        total: 23,
      });
      expect(await driver.get("SELECT name FROM items WHERE name = ?", ["none"])).toBeUndefined();
    });

    it("stores text with a NUL in it (PostgreSQL, whose text cannot hold NUL, as U+FFFD)", async () => {
      const driver = await open("nul");
      await driver.run("INSERT INTO items (name, size, note) VALUES (?, 1, ?)", ["n", "before\0after"]);
      expect(await driver.get("SELECT note FROM items")).toEqual({
        note: engine.dialect === "sqlite" ? "before\0after" : "before\uFFFDafter",
      });
    });

    it("commits a transaction's work and rolls all of it back when the work throws", async () => {
      const driver = await open("tx");
      const committed = await driver.transaction(async (tx) => {
        await tx.run("INSERT INTO items (name, size) VALUES (?, ?)", ["kept", 1]);
        return "done";
      });
      expect(committed).toBe("done");
      await expect(
        driver.transaction(async (tx) => {
          await tx.run("INSERT INTO items (name, size) VALUES (?, ?)", ["lost", 1]);
          // Issued through the driver, not the handle: it joins the transaction all the same.
          await driver.run("INSERT INTO items (name, size) VALUES (?, ?)", ["lost too", 1]);
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      expect(await driver.all("SELECT name FROM items ORDER BY name")).toEqual([{ name: "kept" }]);
    });

    it("makes a nested transaction a savepoint: its failure leaves the outer work", async () => {
      const driver = await open("nested");
      await driver.transaction(async () => {
        expect(driver.inTransaction()).toBe(true);
        await driver.run("INSERT INTO items (name, size) VALUES ('outer', 1)");
        await expect(
          driver.transaction(async (inner) => {
            await inner.run("INSERT INTO items (name, size) VALUES ('inner', 1)");
            throw new Error("inner fails");
          }),
        ).rejects.toThrow("inner fails");
        await driver.transaction((inner) =>
          inner.run("INSERT INTO items (name, size) VALUES ('inner ok', 1)"),
        );
      });
      expect(driver.inTransaction()).toBe(false);
      expect(await driver.all("SELECT name FROM items ORDER BY name")).toEqual([
        { name: "inner ok" },
        { name: "outer" },
      ]);
    });

    it("runs after-commit callbacks only for work that committed", async () => {
      const driver = await open("after-commit");
      const seen: string[] = [];
      driver.afterCommit(() => seen.push("outside: at once"));
      await driver.transaction(async () => {
        driver.afterCommit(() => seen.push("outer"));
        await driver
          .transaction(async () => {
            driver.afterCommit(() => seen.push("rolled-back savepoint"));
            throw new Error("savepoint fails");
          })
          .catch(() => undefined);
        await driver.transaction(async () => driver.afterCommit(() => seen.push("kept savepoint")));
        expect(seen).toEqual(["outside: at once"]);
      });
      await driver
        .transaction(async () => {
          driver.afterCommit(() => seen.push("rolled-back transaction"));
          throw new Error("fails");
        })
        .catch(() => undefined);
      expect(seen).toEqual(["outside: at once", "outer", "kept savepoint"]);
    });

    it("never interleaves two transactions: each read-then-write sees the other's commit", async () => {
      const driver = await open("serial");
      await driver.run("INSERT INTO items (name, size) VALUES ('counter', 0)");
      const sizeSchema = z.object({ size: z.number() });
      await Promise.all(
        Array.from({ length: 12 }, () =>
          driver.transaction(async (tx) => {
            const { size } = sizeSchema.parse(await tx.get("SELECT size FROM items WHERE name = 'counter'"));
            // Yield to the event loop between the read and the write, as real work (I/O) does.
            await sleep(2);
            await tx.run("UPDATE items SET size = ? WHERE name = 'counter'", [size + 1]);
          }),
        ),
      );
      expect(await driver.get("SELECT size FROM items WHERE name = 'counter'")).toEqual({ size: 12 });
    });

    it("keeps a statement from outside an open transaction out of it", async () => {
      const driver = await open("outside");
      let release = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      const failing = driver.transaction(async (tx) => {
        await tx.run("INSERT INTO items (name, size) VALUES ('inside', 1)");
        await gate;
        throw new Error("rolled back");
      });
      // Another case's write while the transaction is open: it must survive the rollback.
      const outside = driver.run("INSERT INTO items (name, size) VALUES ('outside', 1)");
      await sleep(20);
      release();
      await expect(failing).rejects.toThrow("rolled back");
      await outside;
      expect(await driver.all("SELECT name FROM items ORDER BY name")).toEqual([{ name: "outside" }]);
    });

    it.skipIf(engine.dialect !== "postgres")(
      "recovers when the server ends a connection in mid-transaction",
      async () => {
        const driver = await open("terminated");
        const failed = driver.transaction(async (tx) => {
          await tx.run("INSERT INTO items (name, size) VALUES ('doomed', 1)");
          // The server (a restart, an administrator) ends this transaction's session.
          await tx.run("SELECT pg_terminate_backend(pg_backend_pid())");
        });
        await expect(failed).rejects.toThrow();
        // The broken client is not handed out again: the next transaction works, and nothing was committed.
        await driver.transaction((tx) => tx.run("INSERT INTO items (name, size) VALUES ('after', 1)"));
        expect(await driver.all("SELECT name FROM items")).toEqual([{ name: "after" }]);
      },
    );

    it("sends work that outlives its transaction back to the driver", async () => {
      const driver = await open("late");
      let late: Promise<unknown> = Promise.resolve();
      await driver.transaction(async () => {
        // A timer started inside the transaction fires after it has committed.
        late = sleep(10).then(() => driver.run("INSERT INTO items (name, size) VALUES ('late', 1)"));
      });
      await late;
      expect(await count(driver)).toBe(1);
    });
  });
}
