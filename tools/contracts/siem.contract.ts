import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE } from "../lab/testing/fixture.ts";
import { siemEventSchema, siemQuerySchema, type SiemQueryInput, type SiemSearch } from "../types.ts";
import type { ContractSetup } from "./types.ts";

/** Every SiemSearch: dataset, time range, each filter operator and the limit hold. */
export function describeSiemContract(name: string, setup: () => Promise<ContractSetup<SiemSearch>>): void {
  describe(`SiemSearch contract: ${name}`, () => {
    let ctx: ContractSetup<SiemSearch>;
    beforeAll(async () => {
      ctx = await setup();
    });
    afterAll(async () => ctx.teardown?.());
    const search = (q: Omit<SiemQueryInput, "from" | "to"> & { from?: string; to?: string }) =>
      ctx.port.searchEvents(siemQuerySchema.parse({ ...FIXTURE.window, ...q }));
    const ids = async (q: Parameters<typeof search>[0]) =>
      (await search(q)).map((e) => siemEventSchema.parse(e).id);

    it("keeps to the dataset and time range", async () => {
      expect(await ids({ dataset: "signin" })).toEqual(["e-1", "e-2", "e-3"]);
      expect(await ids({ dataset: "signin", from: FIXTURE.events[1]?.timestamp ?? "" })).toEqual([
        "e-2",
        "e-3",
      ]);
      expect(await ids({ dataset: "dns" })).toEqual([]);
    });

    it("applies eq (case-insensitive), neq, in, contains, gte and lte", async () => {
      expect(
        await ids({ dataset: "signin", where: [{ field: "user.name", op: "eq", value: "BOB@corp.test" }] }),
      ).toEqual(["e-1", "e-2"]);
      expect(
        await ids({
          dataset: "signin",
          where: [{ field: "source.geo.country_iso_code", op: "neq", value: "US" }],
        }),
      ).toEqual(["e-2"]);
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
        await ids({
          dataset: "proxy",
          where: [{ field: "http.response.status_code", op: "gte", value: 200 }],
        }),
      ).toEqual(["e-4"]);
      expect(
        await ids({
          dataset: "proxy",
          where: [{ field: "http.response.status_code", op: "lte", value: 199 }],
        }),
      ).toEqual([]);
    });

    it("honours the limit", async () => {
      expect(await ids({ dataset: "signin", limit: 2 })).toHaveLength(2);
    });
  });
}
