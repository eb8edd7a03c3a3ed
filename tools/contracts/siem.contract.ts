import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { siemEventSchema, siemQuerySchema, type SiemQueryInput } from "../../core/domain.ts";
import { type SiemSearch } from "../../core/ports.ts";
import type { ContractSetup } from "./types.ts";

type Query = Omit<SiemQueryInput, "from" | "to"> & { from?: string; to?: string };

/** Every SiemSearch: dataset, time range, each filter operator and the limit hold; results oldest first. */
export function describeSiemContract(name: string, setup: () => Promise<ContractSetup<SiemSearch>>): void {
  describe(`SiemSearch contract: ${name}`, () => {
    let ctx: ContractSetup<SiemSearch>;
    beforeAll(async () => {
      ctx = await setup();
    });
    afterAll(async () => ctx.teardown?.());

    // Queries go through the schema as a caller's would, so defaults (where, limit) are applied.
    const search = (q: Query) =>
      ctx.port.searchEvents(siemQuerySchema.parse({ ...ctx.fixture.window, ...q }));
    const ids = async (q: Query) => (await search(q)).map((e) => siemEventSchema.parse(e).id);
    const at = (i: number) => ctx.fixture.events[i]?.timestamp ?? "";

    it("returns events that parse, with their fields, oldest first", async () => {
      const events = (await search({ dataset: "signin" })).map((e) => siemEventSchema.parse(e));
      expect(events.map((e) => e.id)).toEqual(["e-1", "e-2", "e-3"]);
      expect(events[1]?.fields).toMatchObject(ctx.fixture.events[1]?.fields ?? {});
      const times = events.map((e) => Date.parse(e.timestamp));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });

    it("keeps to the dataset and to the time range, both ends inclusive", async () => {
      expect(await ids({ dataset: "signin", from: at(1) })).toEqual(["e-2", "e-3"]);
      expect(await ids({ dataset: "signin", to: at(1) })).toEqual(["e-1", "e-2"]);
      expect(await ids({ dataset: "signin", from: at(1), to: at(1) })).toEqual(["e-2"]);
      expect(await ids({ dataset: "proxy" })).toEqual(["e-4"]);
      expect(await ids({ dataset: "dns" })).toEqual([]);
    });

    it("compares time bounds as instants, whatever their offset", async () => {
      const plusTwo = new Date(Date.parse(at(1)) + 2 * 3_600_000).toISOString().replace("Z", "+02:00");
      expect(await ids({ dataset: "signin", from: plusTwo })).toEqual(["e-2", "e-3"]);
    });

    it("applies eq and neq case-insensitively", async () => {
      const where = (field: string, op: "eq" | "neq", value: string) => ({
        dataset: "signin" as const,
        where: [{ field, op, value }],
      });
      expect(await ids(where("user.name", "eq", "BOB@corp.test"))).toEqual(["e-1", "e-2"]);
      expect(await ids(where("source.geo.country_iso_code", "neq", "us"))).toEqual(["e-2"]);
    });

    it("applies in and contains", async () => {
      expect(
        await ids({
          dataset: "signin",
          where: [{ field: "source.ip", op: "in", value: ["45.1.2.3", "192.0.2.11"] }],
        }),
      ).toEqual(["e-2", "e-3"]);
      expect(
        await ids({ dataset: "proxy", where: [{ field: "url.domain", op: "contains", value: "EVIL" }] }),
      ).toEqual(["e-4"]);
      expect(
        await ids({ dataset: "proxy", where: [{ field: "url.domain", op: "contains", value: "good" }] }),
      ).toEqual([]);
    });

    it("applies gte and lte to numbers", async () => {
      const status = (op: "gte" | "lte", value: number) =>
        ids({ dataset: "proxy", where: [{ field: "http.response.status_code", op, value }] });
      expect(await status("gte", 200)).toEqual(["e-4"]);
      expect(await status("lte", 200)).toEqual(["e-4"]);
      expect(await status("gte", 201)).toEqual([]);
      expect(await status("lte", 199)).toEqual([]);
    });

    it("requires every filter to hold", async () => {
      expect(
        await ids({
          dataset: "signin",
          where: [
            { field: "user.name", op: "eq", value: "bob@corp.test" },
            { field: "source.geo.country_iso_code", op: "eq", value: "RO" },
          ],
        }),
      ).toEqual(["e-2"]);
    });

    it("matches nothing with eq on a field no event has", async () => {
      expect(
        await ids({ dataset: "signin", where: [{ field: "no.such_field", op: "eq", value: "x" }] }),
      ).toEqual([]);
    });

    it("honours the limit, keeping the oldest", async () => {
      expect(await ids({ dataset: "signin", limit: 2 })).toEqual(["e-1", "e-2"]);
      expect(
        await ids({
          dataset: "signin",
          limit: 1,
          where: [{ field: "user.name", op: "eq", value: "ann@corp.test" }],
        }),
      ).toEqual(["e-3"]);
    });
  });
}
